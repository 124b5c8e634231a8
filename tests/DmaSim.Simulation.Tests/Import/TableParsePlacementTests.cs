using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Where the DMAR table's parse lines land: interrupt remapping's setup parses the table at APIC init, so its lines come
/// early; from 4.19 on, intremap=off or the 5500/5520/X58 erratum (irq_remap_broken) stops that, and intel_iommu_init
/// parses the table itself, after the IOMMU core's domain policy lines (5.3+), whether or not VT-d then starts. The HP
/// Z400's 5.4 log shows the erratum warning, then "iommu: Default domain type", then the parse.
/// </summary>
public sealed class TableParsePlacementTests
{
    private static List<string> Log(string profile, string cmdline, string? faults = null)
    {
        var b = new ScenarioBuilder("placement", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .Unit(passThrough: true)
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel(profile, cmdline);
        if (faults is not null) b.FirmwareFaults(faults);
        var s = b.Build("placement.yaml");
        return [.. SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline).Events.LogLines()];
    }

    private static int At(List<string> log, string start) => log.FindIndex(l => l.StartsWith(start, StringComparison.Ordinal));

    [Theory]
    [InlineData("intel_iommu=on", true)]
    [InlineData("intel_iommu=on intremap=off", false)]
    [InlineData("intel_iommu=off intremap=off", false)]
    public void On_6_1_the_parse_comes_before_the_domain_policy_unless_interrupt_remapping_is_off(string cmdline, bool early)
    {
        var log = Log("linux-6.1", cmdline);
        var parse = At(log, "DMAR: Host address width");
        var policy = At(log, "iommu: Default domain type");
        Assert.True(parse >= 0 && policy >= 0);
        Assert.Equal(early, parse < policy);
        Assert.Equal(1, log.Count(l => l.StartsWith("DMAR: Host address width", StringComparison.Ordinal)));
        Assert.Equal(1, log.Count(l => l.StartsWith("DMAR: dmar0: reg_base_addr", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_erratum_warns_at_apic_setup_and_leaves_the_parse_to_intel_iommu_init()
    {
        var log = Log("linux-5.4", "intel_iommu=on", "[irq-remapping-erratum]");
        var warning = At(log, "DMAR-IR: This system BIOS has enabled interrupt remapping");
        Assert.True(warning >= 0);
        Assert.Equal("contact your BIOS vendor for an update", log[warning + 4]);
        Assert.True(warning < At(log, "iommu: Default domain type"));
        Assert.True(At(log, "iommu: Default domain type") < At(log, "DMAR: Host address width"));
        Assert.True(At(log, "DMAR: Host address width") < At(log, "DMAR: dmar0: Using Queued invalidation"));
        // intremap=off returns before the erratum check: no warning.
        Assert.Equal(-1, At(Log("linux-5.4", "intel_iommu=on intremap=off", "[irq-remapping-erratum]"), "DMAR-IR:"));
    }

    [Fact]
    public void On_2_6_32_enable_ir_x2apic_parses_the_table_early_whatever_the_command_line()
    {
        var log = Log("linux-2.6.32", "intel_iommu=on intremap=off", "[irq-remapping-erratum]");
        Assert.Equal(-1, At(log, "DMAR-IR:"));
        Assert.True(At(log, "DMAR: Host address width") < At(log, "IOMMU 0xfed90000: using Queued invalidation"));
        Assert.True(At(log, "DMAR: Host address width") < At(log, "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O"));
    }

    [Fact]
    public void The_z400_log_imported_without_its_table_keeps_its_order()
    {
        var path = SharedData.Path_("dmesg", "hp-z400_FF7C21B8CB39_5.4.0-4-amd64-debian.dmesg.txt");
        static List<string> Order(IEnumerable<string> log) => [.. log.Where(l => !l.StartsWith('#')).Select(l => l.Contains("] ", StringComparison.Ordinal) ? l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..] : l)
            .Where(l => l.StartsWith("DMAR-IR: This system BIOS", StringComparison.Ordinal) || l.StartsWith("iommu: Default domain type", StringComparison.Ordinal)
                || l.StartsWith("DMAR: Host address width", StringComparison.Ordinal) || l.StartsWith("DMAR: dmar0: Using", StringComparison.Ordinal))
            .Select(l => l.TrimEnd())];
        var want = Order(File.ReadLines(path));
        Assert.Equal(4, want.Count);
        var (yaml, run) = RealLog.ImportAndRun(path, null);
        Assert.Contains("firmware-faults: [irq-remapping-erratum]", yaml, StringComparison.Ordinal);
        Assert.Equal(want, Order(run.Log));
    }
}
