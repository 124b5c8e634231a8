using DmaSim.Hardware.Pci;

namespace DmaSim.Hardware.Tests.Pci;

public class PciTopologyTests
{
    private static PciTopology Build()
    {
        var t = new PciTopology();
        t.Add(new PciFunction(Bdf.Parse("00:1e.0"), "p2p", PciFunctionKind.PcieToPciBridge, true, SecondaryBus: 5));
        t.Add(new PciFunction(Bdf.Parse("05:01.0"), "oldscsi", PciFunctionKind.Endpoint, false));
        t.Add(new PciFunction(Bdf.Parse("03:00.0"), "smartarray", PciFunctionKind.Endpoint, true));
        return t;
    }

    [Fact]
    public void Conventional_devices_behind_a_pcie_to_pci_bridge_use_the_secondary_bus_alias()
    {
        var t = Build();
        Assert.Equal(Bdf.Parse("05:00.0"), t.RequesterIdSeenByRootComplex(Bdf.Parse("05:01.0")));
        Assert.Equal([Bdf.Parse("05:01.0"), Bdf.Parse("05:00.0")], t.DmaAliases(Bdf.Parse("05:01.0")));
        Assert.False(t.IsOnRootBus(Bdf.Parse("05:01.0")));
    }

    [Fact]
    public void Pcie_devices_on_the_root_bus_keep_their_own_requester_id()
    {
        var t = Build();
        Assert.Equal(Bdf.Parse("03:00.0"), t.RequesterIdSeenByRootComplex(Bdf.Parse("03:00.0")));
    }

    [Theory]
    [InlineData("03:00.0", 0x0300)]
    [InlineData("00:1f.7", 0x00ff)]
    [InlineData("0000:ff:1f.7", 0xffff)]
    public void Bdf_parses_lspci_notation(string text, int rid) => Assert.Equal(rid, Bdf.Parse(text).RequesterId);

    [Theory]
    [InlineData("3:00.0")]
    [InlineData("00:20.0")]
    [InlineData("00:1f.8")]
    public void Bad_bdf_is_rejected(string text) => Assert.False(Bdf.TryParse(text, out _));
}

public class PciScanOrderTests
{
    [Fact]
    public void Scan_order_is_depth_first_after_each_bus_and_multifunction_is_a_shared_slot()
    {
        var t = new PciTopology();
        t.Add(new PciFunction(Bdf.Parse("02:00.0"), "nic", PciFunctionKind.Endpoint, true));
        t.Add(new PciFunction(Bdf.Parse("00:1c.0"), "rp", PciFunctionKind.PcieRootPort, true, SecondaryBus: 2));
        t.Add(new PciFunction(Bdf.Parse("00:01.0"), "rp1", PciFunctionKind.PcieRootPort, true, SecondaryBus: 1));
        t.Add(new PciFunction(Bdf.Parse("01:00.0"), "gpu", PciFunctionKind.Endpoint, true));
        t.Add(new PciFunction(Bdf.Parse("01:00.1"), "hda", PciFunctionKind.Endpoint, true));
        t.Add(new PciFunction(Bdf.Parse("00:1f.0"), "lpc", PciFunctionKind.Endpoint, false));
        Assert.Equal(["rp1", "rp", "lpc", "gpu", "hda", "nic"], t.ScanOrder().Select(f => f.Name));
        Assert.True(t.IsMultifunction(Bdf.Parse("01:00.1")));
        Assert.False(t.IsMultifunction(Bdf.Parse("00:1f.0")));
    }
}
