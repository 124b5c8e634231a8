using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using DmaSim.Testing;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>Scripted DMA-API calls and device DMAs through ScriptRunner, plus the §3.7 worked zone table.</summary>
public class ScriptedOpsTests
{
    private static ScenarioBuilder Scripted(string profile, string cmdline, int deviceBits, ulong highEnd, params string[] steps) =>
        new ScenarioBuilder("scripted", seed: 3)
            .PcMemory(highEnd)
            .Unit(passThrough: true)
            .Device("04:00.0", "dev", "scripted", addressBits: deviceBits)
            .Kernel(profile, cmdline)
            .Workload(steps);

    private static readonly string[] _bounceRoundTrip =
    [
        "{ device: dev, op: alloc-buffer, size: 8KiB, as: hi, at: 0x200000000 }",
        "{ device: dev, op: map, buffer: hi, direction: from-device, as: rx }",
        "{ device: dev, op: dma-write, target: rx, offset: 0, bytes: 512 }",
        "{ device: dev, op: unmap, target: rx }",
        "{ device: dev, op: cpu-read, target: rx }",
    ];

    private static long Counter(RunResult r, string name) => r.Counters.Single(c => c.Name == name).Value;

    [Fact]
    public void Swiotlb_bounce_round_trip_under_2_6_31_for_a_32_bit_device_and_a_buffer_above_4G()
    {
        var s = Parse(Scripted("linux-2.6.31", "intel_iommu=on iommu=pt", 32, 0x23fffffff, _bounceRoundTrip));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Linux2631);
        Assert.Equal("swiotlb", r.Devices[0].DmaOpsName);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "swiotlb-bounces") > 0);

        var m = RunKeeping(s, ProfileCatalog.Linux2631);
        var map = m.Events.Events.OfType<DmaApiEvent>().Single(e => e.Call == "dma_map_single");
        Assert.Equal(0x200000000UL, map.Cpu!.Value.Value);
        Assert.True(map.Dma!.Value.Value + 512 <= 0x100000000, $"bounce slot at {map.Dma}");
        Assert.NotEqual(map.Cpu.Value.Value, map.Dma.Value.Value);
    }

    [Fact]
    public void Without_the_unmap_the_cpu_never_sees_the_bounced_bytes()
    {
        // Negative control of the round trip: the copy back happens at unmap (or sync), not at DMA time.
        var steps = _bounceRoundTrip.Where(x => !x.Contains("op: unmap", StringComparison.Ordinal)).ToArray();
        var r = ScenarioRunner.Run(Parse(Scripted("linux-2.6.31", "intel_iommu=on iommu=pt", 32, 0x23fffffff, steps)), ProfileCatalog.Linux2631);
        Assert.Equal(Outcome.Corruption, r.Devices[0].Outcome);
        Assert.Contains(r.Findings, f => f.Kind == FindingKind.DataMismatch);
    }

    [Fact]
    public void Sync_for_cpu_also_copies_the_bounce_slot_back()
    {
        var steps = _bounceRoundTrip.Select(x => x.Replace("op: unmap", "op: sync-for-cpu", StringComparison.Ordinal)).ToArray();
        var r = ScenarioRunner.Run(Parse(Scripted("linux-2.6.31", "intel_iommu=on iommu=pt", 32, 0x23fffffff, steps)), ProfileCatalog.Linux2631);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
    }

    [Fact]
    public void To_device_bounce_carries_the_cpus_bytes_to_the_device()
    {
        var r = ScenarioRunner.Run(Parse(Scripted("linux-2.6.31", "intel_iommu=on iommu=pt", 32, 0x23fffffff,
            "{ device: dev, op: alloc-buffer, size: 4KiB, as: hi, at: 0x180000000 }",
            "{ device: dev, op: cpu-write, target: hi, bytes: 256 }",
            "{ device: dev, op: map, buffer: hi, direction: to-device, as: tx }",
            "{ device: dev, op: dma-read, target: tx, offset: 0, bytes: 256 }",
            "{ device: dev, op: unmap, target: tx }")), ProfileCatalog.Linux2631);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "swiotlb-bounces") > 0);
    }

    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    public void Translated_domain_dma_goes_through_the_vtd_page_walk(string profile)
    {
        var s = Parse(Scripted(profile, "intel_iommu=on", 64, 0x23fffffff,
            "{ device: dev, op: set-mask, dma-mask-bits: 64 }",
            "{ device: dev, op: alloc-coherent, size: 4KiB, as: ring }",
            "{ device: dev, op: dma-write, target: ring, offset: 0, bytes: 64 }",
            "{ device: dev, op: map, size: 64KiB, direction: from-device, as: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 4096 }",
            "{ device: dev, op: sync-for-cpu, target: buf }",
            "{ device: dev, op: cpu-read, target: buf }",
            "{ device: dev, op: unmap, target: buf }"));
        var r = ScenarioRunner.Run(s, P(profile));
        Assert.Equal("translated", r.Devices[0].DomainName);
        Assert.Equal("intel-iommu", r.Devices[0].DmaOpsName);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "dmar0-page-walks") > 0);
    }

    [Fact]
    public void Dma_after_a_strict_unmap_really_happens_and_faults_on_the_cleared_pte()
    {
        var s = Parse(Scripted("linux-2.6.32", "intel_iommu=on,strict", 64, 0x23fffffff,
            "{ device: dev, op: map, size: 4KiB, direction: from-device, as: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }",
            "{ device: dev, op: unmap, target: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Linux2632);
        var f = Assert.Single(r.Findings, f => f.Kind == FindingKind.IommuFault);
        Assert.Contains("already unmapped or freed", f.Message, StringComparison.Ordinal);
        Assert.Equal(Outcome.Fault, r.Devices.Single().Outcome);
    }

    [Fact]
    public void Dma_after_a_lazy_unmap_hits_the_stale_iotlb_entry_and_lands_in_the_old_buffer()
    {
        var s = Parse(Scripted("linux-2.6.32", "intel_iommu=on", 64, 0x23fffffff,
            "{ device: dev, op: map, size: 4KiB, direction: from-device, as: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }",
            "{ device: dev, op: unmap, target: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Linux2632);
        Assert.Equal([FindingKind.UseAfterUnmap], r.Findings.Select(f => f.Kind));
        Assert.Equal(Outcome.Ok, r.Devices.Single().Outcome);
    }

    /// <summary>
    /// The flush queue's 10 ms timer fires by itself: ten milliseconds after a lazy unmap the stale entry is gone
    /// even though the driver made no DMA API call in between (found by the soundness campaign: the timer was
    /// only checked on the next map, so the stale entry outlived the timer).
    /// </summary>
    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-6.1")]
    public void The_flush_queue_timer_fires_without_another_dma_api_call(string profile)
    {
        var s = Parse(Scripted(profile, "intel_iommu=on iommu.passthrough=0 iommu.strict=0", 64, 0x23fffffff,
            "{ device: dev, op: map, size: 4KiB, direction: from-device, as: buf }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }",
            "{ device: dev, op: unmap, target: buf }",
            "{ device: dev, op: cpu-read, target: buf, bytes: 1, repeat: 10000 }",
            "{ device: dev, op: dma-write, target: buf, offset: 0, bytes: 64 }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Find(profile)!);
        Assert.Equal([FindingKind.IommuFault], r.Findings.Select(f => f.Kind).Where(k => !FindingKinds.IsDmaApiDebug(k) && k != FindingKind.DataMismatch));
        Assert.Equal(Outcome.Fault, r.Devices.Single().Outcome);
    }

    [Theory]
    [InlineData("linux-6.1", "DMA-API: dev 0000:04:00.0: device driver tries to free DMA memory it has not allocated")]
    [InlineData("linux-2.6.32", "dev 0000:04:00.0: DMA-API: device driver tries to free DMA memory it has not allocated")]
    public void Double_free_then_unbind_is_reported_as_the_kernel_prints_it_and_expect_finding_sees_it(string profile, string line)
    {
        var s = Parse(Scripted(profile, "intel_iommu=off", 64, 0x23fffffff,
            "{ device: dev, op: alloc-coherent, size: 4KiB, as: ring }",
            "{ device: dev, op: map, size: 4KiB, direction: to-device, as: buf }",
            "{ device: dev, op: free-coherent, target: ring }",
            "{ device: dev, op: free-coherent, target: ring }",
            "{ device: dev, op: unbind }")
            .Section("expect:\n  - { device: dev, finding: free-not-allocated }\n  - { device: dev, finding: pending-at-unbind }\n  - { device: dev, finding: leak-at-end }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Find(profile)!);
        Assert.True(r.AllExpectationsHeld, string.Join(" | ", r.Expectations.Select(e => e.Text + " " + e.Actual)));
        Assert.Contains(r.Log, l => l.Contains(line, StringComparison.Ordinal));
        Assert.Equal(Outcome.Ok, r.Devices.Single().Outcome);
    }

    [Fact]
    public void Dma_debug_off_on_the_command_line_silences_the_layer()
    {
        var s = Parse(Scripted("linux-6.1", "intel_iommu=off dma_debug=off", 64, 0x23fffffff,
            "{ device: dev, op: map, size: 4KiB, direction: to-device, as: buf }",
            "{ device: dev, op: unmap, target: buf }",
            "{ device: dev, op: unmap, target: buf }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Linux61);
        Assert.DoesNotContain(r.Findings, f => FindingKinds.IsDmaApiDebug(f.Kind));
        Assert.Contains("DMA-API: debugging disabled on kernel command line", r.Log.Select(l => l[15..]));
    }

    [Fact]
    public void A_dma_past_the_end_is_issued_whole_and_names_the_page_it_hits()
    {
        var s = Parse(Scripted("linux-6.1", "intel_iommu=off", 64, 0x23fffffff,
            "{ op: alloc-buffer, size: 4KiB, as: b, at: 0x80000000 }",
            "{ device: dev, op: map, buffer: b, size: 4KiB, direction: from-device, as: m }",
            "{ device: dev, op: dma-write, target: m, offset: 4032, bytes: 128 }"));
        var r = ScenarioRunner.Run(s, ProfileCatalog.Linux61);
        var f = Assert.Single(r.Findings, f => f.Kind == FindingKind.OutOfMapping);
        Assert.Contains("64 bytes past the end of m", f.Message, StringComparison.Ordinal);
        Assert.Contains("free RAM", f.Message, StringComparison.Ordinal);
        Assert.Equal(Outcome.Corruption, r.Devices.Single().Outcome);
    }

    // §3.7: identity device (dma_mask 64 bits), RAM to 64 GiB ⇒ required mask 2^36 − 1.
    [Theory]
    [InlineData("linux-2.6.32-rc5", 64, new[] { ZoneType.Normal })]
    [InlineData("linux-2.6.32-rc5", 32, new[] { ZoneType.Normal })]   // bug: flags cleared
    [InlineData("linux-2.6.32-rc5", 24, new[] { ZoneType.Normal })]   // bug
    [InlineData("linux-2.6.32", 64, new[] { ZoneType.Normal })]
    [InlineData("linux-2.6.32", 36, new[] { ZoneType.Normal })]       // mask ≥ required: no flag needed
    [InlineData("linux-2.6.32", 34, new[] { ZoneType.Dma32 })]
    [InlineData("linux-2.6.32", 32, new[] { ZoneType.Dma32 })]
    [InlineData("linux-2.6.32", 31, new[] { ZoneType.Dma })]
    [InlineData("linux-2.6.32", 24, new[] { ZoneType.Dma })]
    [InlineData("linux-6.1", 64, new[] { ZoneType.Normal })]
    [InlineData("linux-6.1", 36, new[] { ZoneType.Normal, ZoneType.Dma32 })]  // no flag first; retry DMA32 if page > mask
    [InlineData("linux-6.1", 34, new[] { ZoneType.Normal, ZoneType.Dma32 })]
    [InlineData("linux-6.1", 32, new[] { ZoneType.Dma32 })]
    [InlineData("linux-6.1", 31, new[] { ZoneType.Dma32, ZoneType.Dma })]     // DMA32 first, then DMA
    [InlineData("linux-6.1", 24, new[] { ZoneType.Dma })]
    public void Worked_decision_table_identity_device_ram_to_64G(string profile, int coherentBits, ZoneType[] zones)
    {
        var s = Parse(Scripted(profile, "intel_iommu=on iommu=pt", 64, 0xfffffffff,
            "{ device: dev, op: set-mask, dma-mask-bits: 64 }",
            $"{{ device: dev, op: set-mask, coherent-dma-mask-bits: {coherentBits} }}",
            "{ device: dev, op: alloc-coherent, size: 4KiB, as: ring }"));
        var m = RunKeeping(s, P(profile));
        Assert.Equal(DeviceDomain.PassThrough, m.Kernel.Device("dev").Domain);
        var ring = FirstCoherent(m, "dev");
        var zone = ZoneOf(m, ring);
        Assert.True(zones.Contains(zone), $"{profile} coherent {coherentBits}: ZONE {zone}");
        Assert.Equal(ring.Cpu!.Value.Value, ring.Dma!.Value.Value);
        if (profile != "linux-2.6.32-rc5")
            Assert.True(DmaMask.Admits(DmaMask.Bits(coherentBits), ring.Dma.Value.Value, ring.Size), $"{profile}: {ring.Dma} beyond {coherentBits} bits");
    }

    [Fact]
    public void Modern_identity_device_with_a_32_bit_mask_bounces_through_swiotlb()
    {
        var r = ScenarioRunner.Run(Parse(Scripted("linux-6.1", "intel_iommu=on iommu=pt", 32, 0x23fffffff, _bounceRoundTrip)), ProfileCatalog.Linux61);
        Assert.Equal("passthrough", r.Devices[0].DomainName);
        Assert.Equal("direct", r.Devices[0].DmaOpsName);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "swiotlb-bounces") > 0);
    }

    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    public void A_32_bit_device_under_iommu_pt_leaves_si_domain_and_is_remapped(string profile)
    {
        var r = ScenarioRunner.Run(Parse(Scripted(profile, "intel_iommu=on iommu=pt", 32, 0x23fffffff, _bounceRoundTrip)), P(profile));
        Assert.Equal("translated", r.Devices[0].DomainName);
        Assert.True(Outcome.Ok == r.Devices[0].Outcome, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "dmar0-page-walks") > 0);
        Assert.Equal(0, Counter(r, "swiotlb-bounces"));
        Assert.Contains(r.Log, l => l.Contains("32bit 0000:04:00.0 uses non-identity mapping", StringComparison.Ordinal));
    }

    // §2.2 runtime re-evaluation (T1): lazy, on the next DMA-API call, both ways.
    [Fact]
    public void Linux_2_6_32_moves_a_device_out_on_its_next_dma_call_and_back_when_its_mask_grows()
    {
        var s = Parse(Scripted("linux-2.6.32", "intel_iommu=on iommu=pt", 64, 0x23fffffff,
            "{ device: dev, op: map, size: 4KiB, direction: to-device, as: a }",
            "{ device: dev, op: set-mask, dma-mask-bits: 64 }",
            "{ device: dev, op: map, size: 4KiB, direction: to-device, as: b }"));
        var m = RunKeeping(s, ProfileCatalog.Linux2632);
        var events = m.Events.Events.ToList();
        int IndexOfLog(string text) => events.FindIndex(e => e is DmaSim.Core.LogEvent l && l.Line.Contains(text, StringComparison.Ordinal));
        int IndexOfCall(string call, int nth) => events.Select((e, i) => (e, i)).Where(x => x.e is DmaApiEvent d && d.Call == call).Select(x => x.i).ElementAt(nth);
        var out32 = IndexOfLog("32bit 0000:04:00.0 uses non-identity mapping");
        var in64 = IndexOfLog("64bit 0000:04:00.0 uses identity mapping");
        Assert.True(out32 >= 0, "no 32bit line");
        Assert.True(in64 >= 0, "no 64bit line");
        // The move out happens inside the first map (before its DmaApiEvent is recorded), the move back after dma_set_mask, inside the second map.
        Assert.True(out32 < IndexOfCall("dma_map_single", 0));
        Assert.True(IndexOfCall("dma_set_mask", 0) < in64 && in64 < IndexOfCall("dma_map_single", 1));
        var second = events.OfType<DmaApiEvent>().Where(e => e.Call == "dma_map_single").ElementAt(1);
        Assert.Equal(second.Cpu!.Value.Value, second.Dma!.Value.Value);
    }
}
