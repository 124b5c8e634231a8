using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>Unit-level checks of the era rules on a booted machine: RMRR setup, fallback order, alias programming.</summary>
public class KernelRuleTests
{
    private static ScenarioBuilder Machine(string faults = "[]", string cmdline = "intel_iommu=on iommu=pt", bool pt = true, string sagaw = "39, 48") =>
        new ScenarioBuilder("rules", seed: 1)
            .Usable(0, 0x9ffff).Usable(0x100000, 0x7effffff).Reserved(0x7f000000, 0x7f00ffff).Usable(0x7f010000, 0xbfffffff)
            .Reserved(0xc0000000, 0xffffffff).Usable(0x100000000, 0x23fffffff)
            .Unit(passThrough: pt, sagaw: sagaw)
            .Rmrr(0x7f000000, 0x7f00ffff, "00:1d.0")
            .FirmwareFaults(faults)
            .Device("00:1d.0", "usb", "usb-controller", addressBits: 32, pcie: false, extra: "firmware-dma: rmrr")
            .Kernel("linux-2.6.32", cmdline);

    private static SimMachine Boot(ScenarioBuilder scenario, KernelProfile p)
    {
        var s = scenario.Build("rules.yaml");
        return SimMachine.Boot(s, p, s.Kernel.Cmdline);
    }

    [Fact]
    public void Rmrr_setup_per_era_hardware_pass_through_skips_it_software_maps_it()
    {
        var hw = Boot(Machine(pt: true), ProfileCatalog.Linux2632);
        Assert.Contains(hw.Events.LogLines(), l => l.StartsWith("Ignoring identity map for HW passthrough device 0000:00:1d.0 [0x7f000000 - 0x7f010000]", StringComparison.Ordinal));
        var sw = Boot(Machine(pt: false), ProfileCatalog.Linux2632);
        Assert.Contains(sw.Events.LogLines(), l => l == "IOMMU: Setting identity map for device 0000:00:1d.0 [0x7f000000 - 0x7f010000]");
        // The software si_domain really holds the RMRR: the unit translates it 1:1 for the controller.
        var unit = sw.Remappers.Single().Unit;
        var r = unit.Translate(Bdf.Parse("00:1d.0").RequesterId, 0x7f000040, isWrite: true);
        Assert.True(r.IsSuccess);
        Assert.Equal(0x7f000040UL, r.Address);
        // Modern kernels map RMRRs as direct regions of the DMA domain.
        var modern = Boot(Machine(pt: false), ProfileCatalog.Linux61);
        var m = modern.Remappers.Single().Unit.Translate(Bdf.Parse("00:1d.0").RequesterId, 0x7f000040, isWrite: false);
        Assert.True(m.IsSuccess);
    }

    [Theory]
    [InlineData("linux-2.6.31", DmaOpsKind.Swiotlb)]   // iommu=pt set swiotlb in 2.6.31 whatever VT-d did (pci_swiotlb_init)
    [InlineData("linux-2.6.32", DmaOpsKind.Direct)]
    [InlineData("linux-2.6.33", DmaOpsKind.Swiotlb)]
    [InlineData("linux-3.0", DmaOpsKind.Swiotlb)]
    [InlineData("linux-6.1", DmaOpsKind.Direct)]
    public void Fallback_order_when_vtd_init_fails(string profile, DmaOpsKind expected)
    {
        var m = Boot(Machine(faults: "[dmar-init-failure]"), ProfileCatalog.Find(profile)!);
        var usb = m.Kernel.Devices.Single(d => d.Name == "usb");
        Assert.Equal(expected, usb.Ops!.Kind);
        Assert.Null(m.Kernel.Iommu);
        // 2.6.33 and later keep a bounce pool (75f1cdf1dda9; modern pci_swiotlb_detect); 2.6.32 has none.
        Assert.Equal(profile != "linux-2.6.32", m.Kernel.K.Swiotlb is not null);
    }

    [Fact]
    public void A_conventional_device_behind_a_pcie_to_pci_bridge_gets_a_context_entry_for_its_alias_too()
    {
        var yaml = Machine(cmdline: "intel_iommu=on")
            .Device("00:1e.0", "p2p", "pcie-to-pci-bridge", secondaryBus: 5)
            .Device("05:02.0", "scsi", "storage-controller", addressBits: 32, pcie: false);
        var m = Boot(yaml, ProfileCatalog.Linux2632);
        var scsi = m.Kernel.Devices.Single(d => d.Name == "scsi");
        var map = m.Kernel.Dma.Map(scsi, new DmaSim.Core.PhysAddr(0x200000000), 4096, DmaDirection.ToDevice);
        Assert.True(map.Ok);
        var hw = m.Kernel.Iommu!.UnitFor(scsi.Bdf)!.Hw;
        Assert.True(hw.ContextPresent(Bdf.Parse("05:02.0")));
        Assert.True(hw.ContextPresent(Bdf.Parse("05:00.0")));
        // The DMA arrives with the alias id and translates.
        var r = m.Remappers.Single().Unit.Translate(Bdf.Parse("05:00.0").RequesterId, map.Address.Value, isWrite: false);
        Assert.True(r.IsSuccess);
        Assert.Equal(0x200000000UL, r.Address);
        // Under 2.6.32 (3dfc813d) the bridged device was never in si_domain.
        Assert.Equal(DeviceDomain.Translated, scsi.Domain);
    }

    [Fact]
    public void A_unit_without_a_usable_address_width_fails_vtd_init_instead_of_crashing()
    {
        // 2.6.32 picks the largest SAGAW width up to 48 bits; a unit offering only 5-level (57-bit) tables has none.
        var m = Boot(Machine(sagaw: "57"), ProfileCatalog.Linux2632);
        Assert.Null(m.Kernel.Iommu);
        Assert.Contains(m.Events.LogLines(), l => l.Contains("Cannot get a valid agaw", StringComparison.Ordinal));
        Assert.Equal(DmaOpsKind.Direct, m.Kernel.Devices.Single().Ops!.Kind);
        // 6.1's default width is 57 bits, so the same unit works there.
        Assert.NotNull(Boot(Machine(sagaw: "57"), ProfileCatalog.Linux61).Kernel.Iommu);
    }
}
