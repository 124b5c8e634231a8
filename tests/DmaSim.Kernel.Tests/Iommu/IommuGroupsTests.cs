using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu;

namespace DmaSim.Kernel.Tests.Iommu;

public class IommuGroupsTests
{
    private static PciFunction Fn(string bdf, PciFunctionKind kind = PciFunctionKind.Endpoint, bool pcie = true, int? secondary = null, bool acs = false, ushort device = 0) =>
        new(Bdf.Parse(bdf), bdf, kind, pcie, secondary is { } s ? (byte)s : null, DeviceId: device, Acs: acs);

    /// <summary>Runs a formation over the topology in bus-scan order and returns "bdf=group" for each function.</summary>
    private static string Groups(IGroupFormation formation, params PciFunction[] functions)
    {
        var pci = new PciTopology();
        foreach (var f in functions) pci.Add(f);
        var devices = pci.ScanOrder().Select(f => new KernelDevice(f.Name, f)).ToList();
        formation.Assign(pci, devices);
        return string.Join(" ", devices.Select(d => $"{d.Bdf}={d.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}"));
    }

    [Fact]
    public void Multifunction_conventional_functions_share_a_group_single_functions_do_not()
    {
        var got = Groups(new PciDeviceGroups(), Fn("00:02.0"), Fn("00:1f.0", pcie: false), Fn("00:1f.2", pcie: false), Fn("00:1f.3", pcie: false), Fn("00:19.0"));
        Assert.Equal("00:02.0=0 00:19.0=1 00:1f.0=2 00:1f.2=2 00:1f.3=2", got);
    }

    [Fact]
    public void Multifunction_pcie_functions_with_acs_are_separate()
    {
        var got = Groups(new PciDeviceGroups(), Fn("00:1f.0", acs: true), Fn("00:1f.2", acs: true));
        Assert.Equal("00:1f.0=0 00:1f.2=1", got);
    }

    [Fact]
    public void Pcie_to_pci_bridge_and_everything_behind_it_form_one_group()
    {
        var got = Groups(new PciDeviceGroups(),
            Fn("00:1c.0", PciFunctionKind.PcieRootPort, secondary: 1, acs: true),
            Fn("01:00.0", PciFunctionKind.PcieToPciBridge, secondary: 2),
            Fn("02:01.0", pcie: false), Fn("02:02.0", pcie: false), Fn("00:03.0"));
        Assert.Equal("00:03.0=0 00:1c.0=1 01:00.0=2 02:01.0=2 02:02.0=2", got);
    }

    [Fact]
    public void A_root_port_without_acs_shares_its_group_with_the_devices_below_it()
    {
        var got = Groups(new PciDeviceGroups(),
            Fn("00:01.0", PciFunctionKind.PcieRootPort, secondary: 1),
            Fn("01:00.0"), Fn("01:00.1"),
            Fn("00:1c.0", PciFunctionKind.PcieRootPort, secondary: 2, acs: true),
            Fn("02:00.0"));
        Assert.Equal("00:01.0=0 00:1c.0=1 01:00.0=0 01:00.1=0 02:00.0=2", got);
    }

    [Fact]
    public void Intel_pch_root_ports_are_isolated_by_the_kernel_quirk_without_an_acs_capability()
    {
        // 8086:1c10 is a Cougar Point root port (pci_quirk_intel_pch_acs_ids); 8086:0151 a CPU root port without ACS.
        var got = Groups(new PciDeviceGroups(),
            Fn("00:01.0", PciFunctionKind.PcieRootPort, secondary: 1, device: 0x0151), Fn("01:00.0"),
            Fn("00:1c.0", PciFunctionKind.PcieRootPort, secondary: 2, device: 0x1c10), Fn("02:00.0"));
        Assert.Equal("00:01.0=0 00:1c.0=1 01:00.0=0 02:00.0=2", got);
    }

    [Theory]
    [InlineData((ushort)0x8086, (ushort)0x1521, "00:1c.0=0 01:00.0=1 01:00.1=2 01:00.2=3 01:00.3=4")] // I350: pci_quirk_mf_endpoint_acs
    [InlineData((ushort)0x8086, (ushort)0x10fb, "00:1c.0=0 01:00.0=1 01:00.1=2 01:00.2=3 01:00.3=4")] // 82599
    [InlineData((ushort)0x14e4, (ushort)0x16d7, "00:1c.0=0 01:00.0=1 01:00.1=2 01:00.2=3 01:00.3=4")] // Broadcom BCM57414
    [InlineData((ushort)0x8086, (ushort)0x1533, "00:1c.0=0 01:00.0=1 01:00.1=1 01:00.2=1 01:00.3=1")] // I210: not in the table
    [InlineData((ushort)0x14e4, (ushort)0x1760, "00:1c.0=0 01:00.0=1 01:00.1=1 01:00.2=1 01:00.3=1")] // BCM5760X: a later 6.1.y backport
    public void Listed_multifunction_nics_isolate_their_functions_without_an_acs_capability(ushort vendor, ushort device, string want)
    {
        PciFunction Port(string bdf) => new(Bdf.Parse(bdf), bdf, PciFunctionKind.Endpoint, true, null, VendorId: vendor, DeviceId: device);
        var got = Groups(new PciDeviceGroups(),
            Fn("00:1c.0", PciFunctionKind.PcieRootPort, secondary: 1, acs: true),
            Port("01:00.0"), Port("01:00.1"), Port("01:00.2"), Port("01:00.3"));
        Assert.Equal(want, got);
    }

    [Fact]
    public void Switch_downstream_ports_with_acs_isolate_their_devices_only_when_the_path_up_isolates()
    {
        var got = Groups(new PciDeviceGroups(),
            Fn("00:01.0", PciFunctionKind.PcieRootPort, secondary: 1, acs: true),
            Fn("01:00.0", PciFunctionKind.PcieUpstreamPort, secondary: 2),
            Fn("02:00.0", PciFunctionKind.PcieDownstreamPort, secondary: 3, acs: true),
            Fn("02:01.0", PciFunctionKind.PcieDownstreamPort, secondary: 4),
            Fn("03:00.0"), Fn("04:00.0"));
        // 04:00.0 sits below a port without ACS: it joins that port's group; 03:00.0 is isolated.
        Assert.Equal("00:01.0=0 01:00.0=1 02:00.0=2 02:01.0=3 03:00.0=4 04:00.0=3", got);
    }

    [Fact]
    public void Legacy_eras_group_devices_by_the_context_entry_they_share_and_give_bridges_none()
    {
        var got = Groups(new SharedContextEntryGroups(),
            Fn("00:1e.0", PciFunctionKind.PcieToPciBridge, secondary: 5),
            Fn("05:01.0", pcie: false), Fn("05:02.0", pcie: false), Fn("00:1f.0", pcie: false), Fn("00:1f.2", pcie: false));
        Assert.Equal("00:1e.0=- 00:1f.0=0 00:1f.2=1 05:01.0=2 05:02.0=2", got);
    }
}
