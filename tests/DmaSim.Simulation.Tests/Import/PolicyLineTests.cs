using System.Text.RegularExpressions;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Issue 16 acceptance: every real log of a 4.19 – 6.x kernel (samples/dmesg and the recorded 6.1 boots in
/// tests/oracle), imported and run under the profile import picks, prints the log's policy lines: the default
/// domain type and TLB invalidation policy, the platform opt-in, the per-device domain lines, the swiotlb announcement.
/// </summary>
public sealed partial class PolicyLineTests
{
    private static string OracleDir => Path.Combine(SharedData.RepoRoot, "tests", "oracle");

    /// <summary>Logs with a memory map (so they import) and a "Linux version" of 4.19 or later.</summary>
    public static TheoryData<string> Logs()
    {
        var data = new TheoryData<string>();
        var files = Directory.GetFiles(RealLog.DmesgDir, "*.dmesg.txt")
            .Concat(Directory.Exists(OracleDir) ? Directory.GetDirectories(OracleDir).Select(d => Path.Combine(d, "dmesg.txt")).Where(File.Exists) : []);
        foreach (var f in files.Order(StringComparer.Ordinal))
        {
            var lines = File.ReadLines(f).ToList();
            var version = lines.Select(l => VersionLine().Match(l)).FirstOrDefault(m => m.Success);
            if (version is null || !lines.Any(l => l.Contains("BIOS-e820", StringComparison.Ordinal))) continue;
            var major = int.Parse(version.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var minor = int.Parse(version.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (major > 4 || (major == 4 && minor >= 19)) data.Add(Path.GetRelativePath(SharedData.RepoRoot, f));
        }
        return data;
    }

    [Fact]
    public void The_logs_cover_4_19_5_4_5_11_6_1_and_6_2()
    {
        var names = Logs().Cast<object[]>().Select(r => (string)r[0]).ToList();
        foreach (var v in new[] { "4.19.0", "5.4.0", "5.11.22", "6.2.10" }) Assert.Contains(names, n => n.Contains(v, StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("tests", StringComparison.Ordinal));
    }

    [Fact]
    public void A_passthrough_default_without_the_command_line_mark_imports_as_the_builds_choice()
    {
        // The 5.11 Proxmox log as a kernel built with CONFIG_IOMMU_DEFAULT_PASSTHROUGH would print it: the type
        // line says Passthrough without "(set via kernel command line)" and the command line has no iommu=pt.
        var real = Path.Combine(RealLog.DmesgDir, "dell-precision-t7500_428B8D25DDA9_5.11.22-4-pve.dmesg.txt");
        var dir = Directory.CreateTempSubdirectory("dmasim-kconfig-").FullName;
        var log = Path.Combine(dir, "dmesg.txt");
        File.WriteAllLines(log, File.ReadLines(real).Select(l => l.Replace("iommu: Default domain type: Translated ", "iommu: Default domain type: Passthrough ", StringComparison.Ordinal)));
        var output = Path.Combine(dir, "machine.yaml");
        var yaml = ScenarioImporter.Import(new ImportOptions(log, null, output, null));
        Assert.Contains("config: { iommu-default-dma: passthrough }", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("iommu=pt", yaml, StringComparison.Ordinal);
        var scenario = ScenarioLoader.Parse(yaml, output);
        var run = ScenarioRunner.Run(scenario, ProfileCatalog.Find(scenario.Kernel.Profile)!);
        Assert.Contains(run.Log, l => l.EndsWith("] iommu: Default domain type: Passthrough ", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Logs))]
    public void Import_and_run_reproduce_the_logs_policy_lines(string log)
    {
        var path = Path.Combine(SharedData.RepoRoot, log);
        var dir = Path.GetDirectoryName(path)!;
        string? Opt(string name) => File.Exists(Path.Combine(dir, name)) ? Path.Combine(dir, name) : null;
        string? table = null;
        if (log.StartsWith("tests", StringComparison.Ordinal)) table = Opt("DMAR.dat");
        else table = RealLog.Pairs().Where(p => p.Dmesg == path).Select(p => p.Table).FirstOrDefault();
        var output = Path.Combine(Directory.CreateTempSubdirectory("dmasim-policy-").FullName, "machine.yaml");
        var yaml = ScenarioImporter.Import(new ImportOptions(path, table, output, log.StartsWith("tests", StringComparison.Ordinal) ? Opt("config.txt") : null));
        var scenario = ScenarioLoader.Parse(yaml, output);
        var run = ScenarioRunner.Run(scenario, ProfileCatalog.Find(scenario.Kernel.Profile)!);
        Assert.Equal(PolicyLines(File.ReadLines(path)), PolicyLines(run.Log));
    }

    /// <summary>The policy lines, timestamps and the device's driver name stripped (the model names no driver).</summary>
    private static List<string> PolicyLines(IEnumerable<string> lines) =>
        [.. lines.Where(l => !l.StartsWith('#')).Select(RealLog.Strip).Where(l => Policy().IsMatch(l)).Select(l => DevicePrefix().Replace(l, "$1"))];

    [GeneratedRegex(@"iommu: Default domain type|iommu: DMA domain TLB invalidation policy|Intel-IOMMU force enabled due to platform opt in|Using iommu (?:direct|dma) mapping|32bit DMA uses non-identity mapping|Device uses a private|PCI-DMA: Using software bounce buffering")]
    private static partial Regex Policy();

    [GeneratedRegex(@"^\S+ (0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: )")]
    private static partial Regex DevicePrefix();

    [GeneratedRegex(@"Linux version (\d+)\.(\d+)")]
    private static partial Regex VersionLine();
}
