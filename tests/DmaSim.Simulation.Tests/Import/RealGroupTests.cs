using System.Text.RegularExpressions;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Real boot logs that print every device's iommu group (samples/dmesg-groups, from the kernel's mailing
/// lists): the imported machine, run under the profile the import chose, forms the same groups the real
/// kernel logged — the same partition of the functions, whatever the numbers.
/// </summary>
public sealed partial class RealGroupTests
{
    public static TheoryData<string> Logs()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(SharedData.Path_("dmesg-groups"), "*.dmesg.txt").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Logs))]
    public void The_run_forms_the_groups_the_real_kernel_logged(string log)
    {
        var path = SharedData.Path_("dmesg-groups", log);
        var logged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in GroupLine().Matches(File.ReadAllText(path))) logged.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
        Assert.True(logged.Count >= 10, $"{log}: expected a boot that prints its groups");

        var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
        var profile = ProfileLine().Match(yaml).Groups[1].Value;
        var run = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "imported.yaml"), ProfileCatalog.Find(profile)!);
        var simulated = run.Devices.Where(d => d.Group is not null).ToDictionary(d => d.Bdf, d => d.Group!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);

        var common = logged.Keys.Where(simulated.ContainsKey).ToList();
        Assert.True(common.Count >= logged.Count - 1, $"{log}: {logged.Count - common.Count} logged functions have no simulated group");
        Assert.Equal(Partition(common, logged), Partition(common, simulated));
    }

    /// <summary>The groups as sorted lists of functions, in order of their first function.</summary>
    private static List<string> Partition(List<string> functions, Dictionary<string, string> group) =>
        [.. functions.GroupBy(f => group[f]).Select(g => string.Join(" ", g.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal)];

    // Whole lines only: the DL388p's serial console interleaved a few records (" 0000:24:00.0: Adding to iommu
    // group 39" with its start lost), which no reader can attribute for sure.
    [GeneratedRegex(@"(?m)^(?:\[ *\d+\.\d+\] )?pci 0000:([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): Adding to iommu group (\d+)\r?$")]
    private static partial Regex GroupLine();

    [GeneratedRegex(@"(?m)^\s*profile:\s*(\S+)")]
    private static partial Regex ProfileLine();
}
