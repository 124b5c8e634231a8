using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Testing;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>Boot-time decisions per era that the seed relies on: bridges (3dfc813d), init failure fallback, no iommu=pt.</summary>
public class EraBootTests
{
    private static ScenarioBuilder Bridged => new ScenarioBuilder("bridged", seed: 1)
        .PcMemory()
        .Unit(passThrough: true)
        .Device("00:1e.0", "p2p", "pcie-to-pci-bridge", secondaryBus: 5)
        .Device("05:01.0", "oldscsi", "scripted", addressBits: 32, pcie: false)
        .Kernel("linux-2.6.32", "intel_iommu=on iommu=pt")
        .Workload(
            "{ device: oldscsi, op: map, size: 4KiB, direction: from-device, as: buf }",
            "{ device: oldscsi, op: dma-write, target: buf, offset: 0, bytes: 512 }",
            "{ device: oldscsi, op: unmap, target: buf }");

    // §2.6 (c): a 32-bit conventional PCI device behind a PCIe-to-PCI bridge with iommu=pt is never in si_domain after 3dfc813d.
    [Theory]
    [InlineData("linux-2.6.32", "translated")]
    [InlineData("linux-2.6.33", "translated")]
    [InlineData("linux-3.0", "translated")]
    public void Vector_c_a_device_behind_a_pci_bridge_is_never_identity(string profile, string domain)
    {
        var r = ScenarioRunner.Run(Parse(Bridged), P(profile));
        var d = r.Devices.Single(x => x.Name == "oldscsi");
        Assert.Equal(domain, d.DomainName);
        Assert.True(Outcome.Ok == d.Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
    }

    [Fact]
    public void Before_3dfc813d_the_bridged_device_starts_identity_and_its_32_bit_mask_moves_it_out()
    {
        var r = ScenarioRunner.Run(Parse(Bridged), ProfileCatalog.Linux2632Rc5);
        // Boot put it in si_domain (startup=1); its first DMA-API call finds dma_mask ≤ 32 bits and moves it.
        Assert.Contains(r.Log, l => l.Contains("32bit 0000:05:01.0 uses non-identity mapping", StringComparison.Ordinal));
        Assert.Equal("translated", r.Devices.Single(x => x.Name == "oldscsi").DomainName);
    }

    [Theory]
    [InlineData("linux-2.6.32", "direct")]    // nommu_dma_ops
    [InlineData("linux-2.6.33", "swiotlb")]   // 75f1cdf1dda9
    public void Vtd_init_failure_falls_back_per_era(string profile, string ops)
    {
        var r = ScenarioRunner.Run(Parse(Storage().FirmwareFaults("[dmar-init-failure]")), P(profile));
        var d = r.Devices.Single();
        Assert.Equal(ops, d.DmaOpsName);
        Assert.Equal("none", d.DomainName);
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
        Assert.Equal("translated", d.DomainName);
        Assert.Equal("intel-iommu", d.DmaOpsName);
        Assert.True(Outcome.Ok == d.Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(r.Counters.Single(c => c.Name == "dmar0-page-walks").Value > 0);
    }
}

/// <summary>§2.3: the second T1 bug "Use coherent DMA mask when requested" fixed in 3.0.</summary>
public class CoherentIovaLimitTests
{
    [Theory]
    [InlineData("linux-2.6.32", false)]   // __intel_map_single passes pdev->dma_mask (64 bits) to intel_alloc_iova
    [InlineData("linux-2.6.33", false)]
    [InlineData("linux-3.0", true)]       // coherent IOVA below the coherent mask
    public void A_translated_coherent_iova_respects_a_31_bit_coherent_mask_only_from_3_0(string profile, bool below)
    {
        var s = Parse(Storage(cmdline: "intel_iommu=on", descriptorBits: 31, driver: "{ device: smartarray, dma-mask-bits: 64, coherent-dma-mask-bits: 31 }"));
        var m = RunKeeping(s, P(profile));
        var ring = FirstCoherent(m);
        var end = ring.Dma!.Value.Value + ring.Size - 1;
        // 2.6.3x IOVAs are tried below 4 GiB first, top-down, so with only the streaming mask as limit the ring lands above 2 GiB.
        Assert.Equal(below, end <= 0x7FFFFFFF);
        var outcome = m.Checker.Worst.GetValueOrDefault("smartarray", Outcome.Ok);
        Assert.Equal(below ? Outcome.Ok : Outcome.Stall, outcome);
    }
}

/// <summary>§4: hot-added memory raises max_pfn and the required mask (from 2.6.33); the seed's bug appears only once RAM crosses 4 GiB.</summary>
public class HotplugTests
{
    private static readonly string[] _keepMaxPfn = ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2", "linux-2.6.32", "linux-2.6.32.7"];

    [Fact]
    public void Ram_hot_added_above_4G_before_the_driver_allocates_brings_the_seed_bug_back()
    {
        var s = Parse(Storage(highEnd: null, lowEnd: 0xffffffff, workload: "{ hotplug-memory: { start: 0x100000000, end: 0x23fffffff } }")
            .Workload("{ device: smartarray, run: io, count: 16, size: 64KiB }"));
        foreach (var p in ProfileCatalog.All)
        {
            var r = ScenarioRunner.Run(s, p);
            var d = r.Devices.Single();
            Assert.True((p == ProfileCatalog.Linux2632Rc5 ? Outcome.Stall : Outcome.Ok) == d.Outcome, $"{p.Name}: {d.Outcome}");
            // x86-64 hot-add leaves max_pfn alone before 2.6.33 (ea0854170c95): the required mask stays at 32 bits.
            var required = _keepMaxPfn.Contains(p.Name) ? "0xffffffff" : "0x3ffffffff";
            Assert.Contains(r.Log, l => l.EndsWith("required DMA mask now " + required, StringComparison.Ordinal));
        }
        // 3.0 re-evaluates on the next DMA-API call: the coherent mask no longer covers the required mask.
        var t3 = ScenarioRunner.Run(s, ProfileCatalog.Linux30);
        Assert.Equal("translated", t3.Devices[0].DomainName);
        Assert.Contains(t3.Log, l => l.Contains("32bit 0000:03:00.0 uses non-identity mapping", StringComparison.Ordinal));
    }
}
