using DmaSim.Checking;
using DmaSim.Kernel.Profiles;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>Boot-time decisions per era that the seed relies on: bridges (3dfc813d), init failure fallback, no iommu=pt.</summary>
public class EraBootTests
{
    private const string Bridged = """
        schema: dmasim/v1
        name: bridged
        seed: 1
        platform:
          physical-address-bits: 40
          memory:
            - { start: 0x0, end: 0x9ffff, type: usable }
            - { start: 0x100000, end: 0xbfffffff, type: usable }
            - { start: 0xc0000000, end: 0xffffffff, type: reserved }
            - { start: 0x100000000, end: 0x23fffffff, type: usable }
          iommu:
            host-address-width: 40
            units:
              - { base: 0xfed90000, include-pci-all: true, pass-through: true, sagaw: [39, 48] }
          devices:
            - { bdf: "00:1e.0", name: p2p, model: pcie-to-pci-bridge, secondary-bus: 5 }
            - { bdf: "05:01.0", name: oldscsi, model: scripted, pcie: false, address-bits: 32 }
        kernel:
          profile: linux-2.6.32
          cmdline: intel_iommu=on iommu=pt
        workload:
          - { device: oldscsi, op: map, size: 4KiB, direction: from-device, as: buf }
          - { device: oldscsi, op: dma-write, target: buf, offset: 0, bytes: 512 }
          - { device: oldscsi, op: unmap, target: buf }

        """;

    // §2.6 (c): a 32-bit conventional PCI device behind a PCIe-to-PCI bridge with iommu=pt is never in si_domain after 3dfc813d.
    [Theory]
    [InlineData("linux-2.6.32", "translated")]
    [InlineData("linux-2.6.33", "translated")]
    [InlineData("linux-3.0", "translated")]
    public void Vector_c_a_device_behind_a_pci_bridge_is_never_identity(string profile, string domain)
    {
        var r = ScenarioRunner.Run(Parse(Bridged), P(profile));
        var d = r.Devices.Single(x => x.Name == "oldscsi");
        Assert.Equal(domain, d.Domain);
        Assert.True(Outcome.Ok == d.Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
    }

    [Fact]
    public void Before_3dfc813d_the_bridged_device_starts_identity_and_its_32_bit_mask_moves_it_out()
    {
        var r = ScenarioRunner.Run(Parse(Bridged), ProfileCatalog.Linux2632Rc5);
        // Boot put it in si_domain (startup=1); its first DMA-API call finds dma_mask ≤ 32 bits and moves it.
        Assert.Contains(r.Log, l => l.Contains("32bit 0000:05:01.0 uses non-identity mapping", StringComparison.Ordinal));
        Assert.Equal("translated", r.Devices.Single(x => x.Name == "oldscsi").Domain);
    }

    [Theory]
    [InlineData("linux-2.6.32", "direct")]    // nommu_dma_ops
    [InlineData("linux-2.6.33", "swiotlb")]   // 75f1cdf1dda9
    public void Vtd_init_failure_falls_back_per_era(string profile, string ops)
    {
        var yaml = Storage().Replace("  iommu:", "  firmware-faults: [dmar-init-failure]\n  iommu:", StringComparison.Ordinal);
        var r = ScenarioRunner.Run(Parse(yaml), P(profile));
        var d = r.Devices.Single();
        Assert.Equal(ops, d.DmaOps);
        Assert.Equal("none", d.Domain);
        Assert.Contains(r.Log, l => l.Contains("dmar init failed", StringComparison.Ordinal));
        // Either fallback honours the coherent mask (dma_generic_alloc_coherent): the ring stays reachable.
        Assert.True(Outcome.Ok == d.Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
    }

    [Theory]
    [InlineData("linux-2.6.31")]
    [InlineData("linux-2.6.32-rc5")]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    public void Without_iommu_pt_the_controller_is_translated_and_ok(string profile)
    {
        var r = ScenarioRunner.Run(Parse(Storage(cmdline: "intel_iommu=on")), P(profile));
        var d = r.Devices.Single();
        Assert.Equal("translated", d.Domain);
        Assert.Equal("intel-iommu", d.DmaOps);
        Assert.True(Outcome.Ok == d.Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(r.Counters.Single(c => c.Name == "dmar0-page-walks").Value > 0);
    }
}
