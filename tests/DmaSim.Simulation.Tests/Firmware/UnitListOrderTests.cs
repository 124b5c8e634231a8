using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>
/// A laptop's four remapping units (three with device scopes, the include-all one last) whose firmware sets the DMAR
/// platform opt-in flag, on a kernel built with VT-d off, as a ThinkPad X1 Carbon on 5.17 logged it: the domain
/// policy lines, then "Intel-IOMMU force enabled due to platform opt in", then one invalidation line per unit in the
/// kernel's unit-list order (dmar2, dmar1, dmar0, then the include-all dmar3), then the groups.
/// </summary>
public sealed class UnitListOrderTests
{
    private static ScenarioBuilder Machine(bool optIn) =>
        new ScenarioBuilder("four-units").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .IommuKey("platform-opt-in", optIn ? "true" : "false")
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"], queued-invalidation: true }", 39)
            .UnitRaw("{ base: 0xfed85000, devices: [\"00:07.0\"], queued-invalidation: true }")
            .UnitRaw("{ base: 0xfed86000, devices: [\"00:07.2\"], queued-invalidation: true }")
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true, queued-invalidation: true }")
            .Device("00:02.0", "gpu", "scripted", 39, extra: "class: 0x030000")
            .Device("00:07.0", "tbt0", "pcie-root-port", secondaryBus: 0x20, extra: "external-facing: true")
            .Device("00:07.2", "tbt2", "pcie-root-port", secondaryBus: 0x40)
            .Device("00:14.0", "xhci", "scripted", 64, extra: "class: 0x0c0330")
            .Kernel("linux-6.1", "")
            .KernelConfig("{ intel-iommu-default-on: false }");

    private static List<string> Log(bool optIn)
    {
        var r = ScenarioRunner.Run(Machine(optIn).Build("four-units.yaml"), ProfileCatalog.Find("linux-6.1")!);
        return [.. r.Log.Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..])];
    }

    [Fact]
    public void The_opt_in_forces_vt_d_on_and_the_units_report_in_list_order_after_it()
    {
        var log = Log(optIn: true);
        var from = log.IndexOf("iommu: Default domain type: Translated ");
        Assert.True(from >= 0);
        Assert.Equal(
        [
            "iommu: Default domain type: Translated ",
            "iommu: DMA domain TLB invalidation policy: lazy mode ",
            "DMAR: Intel-IOMMU force enabled due to platform opt in",
            "DMAR: No RMRR found",
            "DMAR: No ATSR found",
            "DMAR: No SATC found",
            "DMAR: dmar2: Using Queued invalidation",
            "DMAR: dmar1: Using Queued invalidation",
            "DMAR: dmar0: Using Queued invalidation",
            "DMAR: dmar3: Using Queued invalidation",
        ], log.Skip(from).Take(10));
        Assert.Contains(log, l => l.EndsWith(": Adding to iommu group 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_the_flag_a_kernel_built_with_vt_d_off_leaves_it_off()
    {
        var log = Log(optIn: false);
        Assert.DoesNotContain(log, l => l.Contains("force enabled", StringComparison.Ordinal) || l.Contains("Using Queued invalidation", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("Adding to iommu group", StringComparison.Ordinal));
    }

    [Fact]
    public void The_x1_carbon_log_comes_back_with_vt_d_forced_on_and_its_units_in_list_order()
    {
        // Its units differ (dmar0, the graphics unit, against the other three): the audit compares each with dmar2, the
        // first in list order, and prints the six features dmar0 lacks or adds, between "No SATC found" and the units.
        var path = SharedData.Path_("dmesg-groups", "lenovo-thinkpad-x1-carbon_5.17.3-arch1-1.dmesg.txt");
        static List<string> Lines(IEnumerable<string> log) => [.. log.Where(l => !l.StartsWith('#')).Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..])
            .Where(l => l.Contains("force enabled", StringComparison.Ordinal) || l.Contains("Using Queued invalidation", StringComparison.Ordinal)
                || l.StartsWith("DMAR: No ", StringComparison.Ordinal) || l.StartsWith("DMAR: IOMMU feature ", StringComparison.Ordinal))];
        var want = Lines(File.ReadLines(path));
        Assert.Equal(13, want.Count);
        var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
        var run = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "x1.yaml"), ProfileCatalog.Find("linux-5.15")!);
        Assert.Equal(want, Lines(run.Log));
    }
}
