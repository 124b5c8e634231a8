using System.Text.RegularExpressions;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Which device gets which group number (profile rule GroupProbeOrder). To 6.0 the IOMMU core probes every device in bus
/// order once all units are registered; from 6.1 each unit's registration probes its own devices, units in the kernel's
/// list order (the non-include-all units last-to-first, the include-all unit last), so a laptop's GPU under its own unit
/// gets group 0. The Dell Latitude 9420's 6.2 log shows that order; its numbers come back exactly.
/// </summary>
public sealed partial class GroupProbeOrderTests
{
    private static List<string> GroupLines(IEnumerable<string> log) =>
        [.. log.Select(RealLog.Strip).Where(l => GroupLine().IsMatch(l))];

    [Fact]
    public void The_latitude_9420_log_gets_its_group_numbers_back_in_its_order()
    {
        var path = SharedData.Path_("dmesg", "dell-latitude-9420_8A77983183EB_6.2.10-arch1-1.dmesg.txt");
        var want = GroupLines(File.ReadLines(path));
        Assert.Equal("pci 0000:00:07.2: Adding to iommu group 0", want[0]);
        Assert.True(want.Count >= 20);
        var run = RealLog.ImportAndRun(path, Path.Combine(RealLog.DmarDir, "dell-latitude-9420_8A77983183EB.dat")).Run;
        Assert.Equal(want, GroupLines(run.Log));
    }

    private static List<string> Boot(string profile, string cmdline = "intel_iommu=on")
    {
        var s = new ScenarioBuilder("order", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"] }", 39)
            .UnitRaw("{ base: 0xfed92000, devices: [\"00:05.0\"] }")
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true }")
            .Device("00:00.0", "host", "host-bridge", 64)
            .Device("00:02.0", "gpu", "scripted", 39, extra: "class: 0x030000")
            .Device("00:05.0", "ipu", "scripted", 39)
            .Device("00:14.0", "xhci", "usb-controller", 64)
            .Kernel(profile, cmdline)
            .Build("order.yaml");
        return GroupLines(SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline).Events.LogLines());
    }

    [Theory]
    [InlineData("linux-6.1")]
    [InlineData("linux-6.6")]
    [InlineData("linux-6.12")]
    public void From_6_1_each_unit_probes_its_own_devices_in_list_order(string profile) =>
        Assert.Equal(
        [
            "pci 0000:00:05.0: Adding to iommu group 0",
            "pci 0000:00:02.0: Adding to iommu group 1",
            "pci 0000:00:00.0: Adding to iommu group 2",
            "pci 0000:00:14.0: Adding to iommu group 3",
        ], Boot(profile));

    [Theory]
    [InlineData("linux-5.4")]
    [InlineData("linux-5.10")]
    [InlineData("linux-5.15")]
    public void To_6_0_one_probe_walks_the_bus_in_order(string profile) =>
        Assert.Equal(
        [
            "pci 0000:00:00.0: Adding to iommu group 0",
            "pci 0000:00:02.0: Adding to iommu group 1",
            "pci 0000:00:05.0: Adding to iommu group 2",
            "pci 0000:00:14.0: Adding to iommu group 3",
        ], Boot(profile));

    [Fact]
    public void An_ignored_unit_registers_nothing_and_its_device_gets_no_group() =>
        Assert.Equal(
        [
            "pci 0000:00:05.0: Adding to iommu group 0",
            "pci 0000:00:00.0: Adding to iommu group 1",
            "pci 0000:00:14.0: Adding to iommu group 2",
        ], Boot("linux-6.1", "intel_iommu=on,igfx_off"));

    private static List<string> RootBusBoot(string? rootBuses)
    {
        var b = new ScenarioBuilder("roots", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true }", 46)
            .Device("00:00.0", "host", "host-bridge", 64)
            .Device("1f:08.0", "uncore0", "scripted", 64)
            .Device("20:00.0", "host1", "host-bridge", 64)
            .Device("3f:08.0", "uncore1", "scripted", 64)
            .Kernel("linux-5.4", "intel_iommu=on");
        if (rootBuses is not null) b.RootBuses(rootBuses);
        var s = b.Build("roots.yaml");
        return GroupLines(SimMachine.Boot(s, ProfileCatalog.Find("linux-5.4")!, s.Kernel.Cmdline).Events.LogLines());
    }

    [Fact]
    public void Root_buses_are_probed_in_the_order_the_kernel_scanned_them()
    {
        Assert.Equal(
        [
            "pci 0000:00:00.0: Adding to iommu group 0",
            "pci 0000:20:00.0: Adding to iommu group 1",
            "pci 0000:1f:08.0: Adding to iommu group 2",
            "pci 0000:3f:08.0: Adding to iommu group 3",
        ], RootBusBoot("[0x00, 0x20, 0x1f, 0x3f]"));
        Assert.Equal(
        [
            "pci 0000:00:00.0: Adding to iommu group 0",
            "pci 0000:1f:08.0: Adding to iommu group 1",
            "pci 0000:20:00.0: Adding to iommu group 2",
            "pci 0000:3f:08.0: Adding to iommu group 3",
        ], RootBusBoot(null));
    }

    /// <summary>
    /// The HP DL388p Gen8 (Sandy Bridge-EP, 5.4): ACPI declares root buses 00 and 20; x86 then finds the uncore buses 1f
    /// and 3f by probing ("PCI: Discovered peer bus 1f"), so their functions are added, and grouped, after bus 20's. The
    /// import writes that order and the run probes the functions in the log's order. Numbers aside: the serial console
    /// cut a few of the log's lines (1f:0b.3's device line, the ends of 1f:0b.0's, 1f:10.2's and 3f:10.5's group lines), so
    /// the functions of the log's whole group lines that the import knows come in the run's order, a few more between.
    /// </summary>
    [Fact]
    public void The_dl388p_peer_buses_come_after_the_host_bridges()
    {
        var path = SharedData.Path_("dmesg-groups", "hp-proliant-dl388p-gen8_5.4.0-1.elrdy.dmesg.txt");
        var want = ProbedFunctions(File.ReadLines(path).Select(RealLog.Strip));
        var (yaml, run) = RealLog.ImportAndRun(path, null);
        Assert.Contains("  root-buses: [0x00, 0x20, 0x1f, 0x3f]", yaml, StringComparison.Ordinal);
        Assert.True(want.Count > 150);
        var got = ProbedFunctions(run.Log);
        want = [.. want.Where(got.Contains)];
        Assert.True(want.Count > 150);
        var next = 0;
        foreach (var bdf in got)
            if (next < want.Count && want[next] == bdf) next++;
        Assert.True(next == want.Count, $"the log's order breaks at {(next < want.Count ? want[next] : "")} (function {next} of {want.Count})");
    }

    private static List<string> ProbedFunctions(IEnumerable<string> log) =>
        [.. log.Select(l => AnyGroupLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"0000:([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): Adding to iommu group \d+$")]
    private static partial Regex AnyGroupLine();

    [GeneratedRegex(@"^pci 0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: Adding to iommu group \d+$")]
    private static partial Regex GroupLine();
}
