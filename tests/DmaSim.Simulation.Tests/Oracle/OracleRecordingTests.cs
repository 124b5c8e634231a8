using System.Text.RegularExpressions;
using DmaSim.Simulation.Tests.Import;

namespace DmaSim.Simulation.Tests.Oracle;

/// <summary>
/// The recorded real-kernel boots (tests/oracle) are whole and agree with themselves, and `dmasim import`
/// + `run` reproduce each boot's DMAR and e820 lines exactly. The device-by-device comparison (domain,
/// flush, groups, masks) is tests/oracle/compare.py until the model covers those fields.
/// </summary>
public sealed partial class OracleRecordingTests
{
    public static TheoryData<string> Boots() => [.. OracleBoot.ManifestNames()];

    public static TheoryData<string> BootsWithVtd() =>
        [.. OracleBoot.ManifestNames().Where(n => OracleBoot.Load(n).Dmar is not null)];

    [Fact]
    public void The_manifest_lists_every_recorded_boot_and_nothing_else()
    {
        var dirs = Directory.GetDirectories(OracleBoot.Root)
            .Where(d => File.Exists(Path.Combine(d, "boot.json"))).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(dirs, OracleBoot.ManifestNames().Order(StringComparer.Ordinal));
        Assert.True(OracleBoot.ManifestNames().Count >= 6, "the matrix has at least six boots");
    }

    [Theory]
    [MemberData(nameof(Boots))]
    public void Each_boot_is_Debians_61_kernel_and_its_log_is_whole(string name)
    {
        var boot = OracleBoot.Load(name);
        Assert.StartsWith("6.1.0-", boot.Kernel, StringComparison.Ordinal);
        var lines = File.ReadLines(boot.Dmesg).ToList();
        // The printk buffer did not wrap: the log starts at the banner and its command line is /proc/cmdline.
        Assert.Matches(@"^\[ +0\.000000\] Linux version 6\.1\.0-", lines[0]);
        Assert.Contains(lines, l => RealLog.Strip(l) == "Command line: " + boot.Cmdline);
        Assert.True(boot.Devices.Count >= 30, $"{name}: {boot.Devices.Count} PCI functions");
    }

    [Theory]
    [MemberData(nameof(Boots))]
    public void Each_boots_sysfs_groups_are_the_ones_its_log_printed(string name)
    {
        var boot = OracleBoot.Load(name);
        var logged = File.ReadLines(boot.Dmesg).Select(l => AddingToGroup().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var sysfs = boot.Groups.SelectMany(g => g.Devices.Select(d => (d, g.Number))).ToDictionary(x => x.d, x => x.Number);
        Assert.Equal(logged.OrderBy(kv => kv.Key, StringComparer.Ordinal), sysfs.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.All(boot.Devices, d => Assert.Equal(sysfs.TryGetValue(d.Bdf, out var g) ? g : null, d.Group));
    }

    [Theory]
    [MemberData(nameof(BootsWithVtd))]
    public void Import_and_run_reproduce_each_boots_DMAR_lines_exactly(string name)
    {
        var boot = OracleBoot.Load(name);
        var (_, run) = RealLog.ImportAndRun(boot.Dmesg, boot.Dmar);
        var want = RealLog.DmarLines(File.ReadLines(boot.Dmesg));
        Assert.NotEmpty(want);
        Assert.Equal(want, RealLog.DmarLines(run.Log));
    }

    [Theory]
    [MemberData(nameof(Boots))]
    public void Import_and_run_reproduce_each_boots_e820_lines(string name)
    {
        var boot = OracleBoot.Load(name);
        var (_, run) = RealLog.ImportAndRun(boot.Dmesg, boot.Dmar);
        var want = RealLog.E820Lines(File.ReadLines(boot.Dmesg));
        Assert.NotEmpty(want);
        Assert.Equal(want, RealLog.E820Lines(run.Log));
    }

    [GeneratedRegex(@"\] pci (0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): Adding to iommu group (\d+)$")]
    private static partial Regex AddingToGroup();
}
