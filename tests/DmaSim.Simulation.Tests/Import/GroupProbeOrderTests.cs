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

    [GeneratedRegex(@"^pci 0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: Adding to iommu group \d+$")]
    private static partial Regex GroupLine();
}
