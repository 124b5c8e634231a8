using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;

namespace DmaSim.Hardware.Tests.Platform;

/// <summary>The platform's own reading of its DMAR table: scope paths through bridges, bridge scopes, the catch-all unit, RMRRs.</summary>
public class ChipsetWiringTests
{
    // 00:1c.0 root port → bus 02: 02:00.0 PCIe-to-PCI bridge → bus 03: 03:01.0 conventional device; 00:02.0 graphics; 00:1d.0 USB.
    private static PciTopology Machine()
    {
        var pci = new PciTopology();
        pci.Add(new PciFunction(new Bdf(0, 0x1c, 0), "rp", PciFunctionKind.PcieRootPort, true, SecondaryBus: 2));
        pci.Add(new PciFunction(new Bdf(2, 0, 0), "p2p", PciFunctionKind.PcieToPciBridge, true, SecondaryBus: 3));
        pci.Add(new PciFunction(new Bdf(3, 1, 0), "scsi", PciFunctionKind.Endpoint, false));
        pci.Add(new PciFunction(new Bdf(0, 2, 0), "gfx", PciFunctionKind.Endpoint, true));
        pci.Add(new PciFunction(new Bdf(0, 0x1d, 0), "usb", PciFunctionKind.Endpoint, true));
        return pci;
    }

    private static DeviceScope Path(DeviceScopeType type, byte startBus, params (byte Dev, byte Fn)[] hops) =>
        new(type, 0, startBus, [.. hops.Select(h => new PciPathEntry(h.Dev, h.Fn))]);

    [Fact]
    public void A_scope_path_is_walked_through_each_bridges_secondary_bus()
    {
        var pci = Machine();
        Assert.Equal(new Bdf(3, 1, 0), ChipsetWiring.Target(Path(DeviceScopeType.Endpoint, 0, (0x1c, 0), (0, 0), (1, 0)), pci));
        // A hop through a function that is no bridge leads nowhere.
        Assert.Null(ChipsetWiring.Target(Path(DeviceScopeType.Endpoint, 0, (2, 0), (0, 0)), pci));
        Assert.Null(ChipsetWiring.Target(Path(DeviceScopeType.IoApic, 0, (0x1e, 0)), pci));
    }

    [Fact]
    public void Devices_go_to_the_unit_whose_scope_covers_them_else_to_the_include_all_unit()
    {
        var pci = Machine();
        var table = DmarBuilder.Build(new DmarMachineSpec(39,
        [
            new DmarUnitSpec(0xfed90000, false, [Path(DeviceScopeType.Endpoint, 0, (2, 0))]),
            new DmarUnitSpec(0xfed91000, false, [Path(DeviceScopeType.Bridge, 0, (0x1c, 0))]),
            new DmarUnitSpec(0xfed92000, true, []),
        ], []));
        var route = ChipsetWiring.Route(table, pci, b => b.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("fed90000", route(new Bdf(0, 2, 0)));
        Assert.Equal("fed91000", route(new Bdf(3, 1, 0)));   // behind the root port the bridge scope names
        Assert.Equal("fed91000", route(new Bdf(2, 0, 0)));
        Assert.Equal("fed92000", route(new Bdf(0, 0x1d, 0))); // nobody's scope: the catch-all
        // A unit whose registers nothing decodes routes nothing.
        var silent = ChipsetWiring.Route(table, pci, b => b == 0xfed92000 ? null : "x");
        Assert.Null(silent(new Bdf(0, 0x1d, 0)));
    }

    [Fact]
    public void The_firmware_finds_the_reserved_regions_that_name_its_device()
    {
        var pci = Machine();
        var table = DmarBuilder.Build(new DmarMachineSpec(39, [new DmarUnitSpec(0xfed90000, true, [])],
        [
            new DmarRmrrSpec(new PhysRange(0x7f5f0000, 0x7f5fffff), [Path(DeviceScopeType.Endpoint, 0, (0x1d, 0))]),
            new DmarRmrrSpec(new PhysRange(0x7e000000, 0x7effffff), [Path(DeviceScopeType.Endpoint, 0, (2, 0))]),
        ]));
        Assert.Equal([new PhysRange(0x7f5f0000, 0x7f5fffff)], ChipsetWiring.ReservedRegionsOf(table, pci, new Bdf(0, 0x1d, 0)));
        Assert.Empty(ChipsetWiring.ReservedRegionsOf(table, pci, new Bdf(3, 1, 0)));
    }
}
