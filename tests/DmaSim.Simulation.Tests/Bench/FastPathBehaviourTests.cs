using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Bench;

namespace DmaSim.Simulation.Tests.Bench;

/// <summary>
/// Behaviour of the fast paths the performance work added (page cache in PhysicalMemory, IOTLB
/// invalidation by key probing), checked through the public model on a bench machine.
/// </summary>
public sealed class FastPathBehaviourTests
{
    [Fact]
    public void Strict_unmap_drops_exactly_the_unmapped_pages_from_the_iotlb()
    {
        var m = BenchMachines.Build(MapBenchMode.Strict);
        var unit = m.Machine.Remappers[0].Unit;
        var sid = m.Device.Bdf.RequesterId;
        var maps = new List<DmaAddr>();
        for (var i = 0; i < 40; i++)
        {
            var r = m.Dma.Map(m.Device, m.Buffer, m.Size, DmaDirection.Bidirectional);
            Assert.True(r.Ok);
            maps.Add(r.Address);
            Assert.Equal(TranslationOutcome.Translated, unit.Translate(sid, r.Address.Value, true).Outcome);
        }
        for (var i = 0; i < maps.Count; i += 3) m.Dma.Unmap(m.Device, maps[i], m.Size, DmaDirection.Bidirectional);
        for (var i = 0; i < maps.Count; i++)
        {
            var t = unit.Translate(sid, maps[i].Value, true);
            if (i % 3 == 0) Assert.Equal(TranslationOutcome.Fault, t.Outcome);
            else
            {
                Assert.Equal(TranslationOutcome.Translated, t.Outcome);
                Assert.True(t.IotlbHit, $"mapping {i} lost its IOTLB entry");
            }
        }
    }

    [Fact]
    public void Copy_and_reads_agree_across_many_pages_and_unwritten_sources()
    {
        var mem = new PhysicalMemory(40);
        var rng = new Random(7);
        var data = new byte[3 * 4096 + 100];
        rng.NextBytes(data);
        mem.Write(new PhysAddr(0x10_0000 + 5), data);
        // Thrash the page cache: 200 pages that share cache slots.
        for (var p = 0UL; p < 200; p++) mem.WriteU64(new PhysAddr(0x4000_0000 + (p << 12)), p + 1);
        mem.Copy(new PhysAddr(0x10_0000 + 5), new PhysAddr(0x20_0000 + 77), (ulong)data.Length);
        var back = new byte[data.Length];
        mem.Read(new PhysAddr(0x20_0000 + 77), back);
        Assert.Equal(data, back);
        for (var p = 0UL; p < 200; p++) Assert.Equal(p + 1, mem.ReadU64(new PhysAddr(0x4000_0000 + (p << 12))));
        // An unwritten source copies as zeros and materialises the destination.
        var before = mem.TouchedPages;
        mem.Copy(new PhysAddr(0x9000_0000), new PhysAddr(0x20_0000 + 77), 16);
        mem.Read(new PhysAddr(0x20_0000 + 77), back.AsSpan(0, 16));
        Assert.All(back.AsSpan(0, 16).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(before, mem.TouchedPages);
        Assert.True(mem.IsZero(new PhysAddr(0x20_0000 + 77), 16));
        Assert.False(mem.IsZero(new PhysAddr(0x20_0000), 4096));
        Assert.True(mem.IsZero(new PhysAddr(0x7000_0000), 3 * 4096));
        mem.Discard(0x4000_0000 >> 12);
        Assert.Equal(0UL, mem.ReadU64(new PhysAddr(0x4000_0000)));
    }
    /// <summary>
    /// Allocation budget (not time, issue 13): in steady state a map+unmap pair allocates nothing, in every
    /// mode, with CONFIG_DMA_API_DEBUG's bookkeeping on (as it is by default): the DMA API hands dma-debug
    /// its calls without an event object, dma-debug takes its entries from a preallocated free list and
    /// files them in hash buckets by DMA address (kernel/dma/debug.c prealloc_memory, hash_fn); the IOMMU
    /// path builds no unobserved events (EventStream.Wants) and the flush queue stores values. The budget,
    /// under 1 B per pair in the least of three 4,096-pair windows, allows a stray allocation, not one object
    /// per pair.
    /// </summary>
    [Theory]
    [InlineData(MapBenchMode.Direct)]
    [InlineData(MapBenchMode.Passthrough)]
    [InlineData(MapBenchMode.Strict)]
    [InlineData(MapBenchMode.Lazy)]
    [InlineData(MapBenchMode.Swiotlb)]
    public void Map_unmap_pair_allocates_nothing_in_steady_state_with_dma_debug_on(MapBenchMode mode)
    {
        var m = BenchMachines.Build(mode);
        Assert.True(m.Machine.DmaDebug.Enabled, "dma-debug is on by default");
        // swiotlb hands out the 64 MiB pool round robin (2 slots of 2 KiB per 4 KiB map): steady state is after
        // one lap, when every slot's segment and simulated page exists; the trace events nobody observes
        // (SwiotlbMapEvent, SwiotlbUnmapEvent) are not built.
        var bytes = BytesPerPair(m, mode == MapBenchMode.Swiotlb ? 20_000 : 4096);
        Assert.True(bytes < 1.0, $"{mode}: {bytes:F2} B per map+unmap pair");
        Assert.Equal(0, m.Machine.DmaDebug.LiveEntries);
        Assert.Empty(m.Machine.DmaDebug.Errors);
    }

    /// <summary>
    /// The eras that decide identity again on every map and unmap (iommu_no_mapping: 2.6.32's streaming-mask
    /// test, 3.0 – 5.4's min(mask) against the required mask) allocate nothing per pair either: the verdict's
    /// reason, one or two hex numbers in a sentence, is worded only when a decision is reported (it was built on every
    /// call, most of a seed sweep cell's strings).
    /// </summary>
    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    [InlineData("linux-4.19")]
    public void A_pass_through_map_unmap_pair_allocates_nothing_in_the_eras_that_recheck_identity_per_map(string profile)
    {
        var m = BenchMachines.Build(MapBenchMode.Passthrough, profileName: profile);
        var bytes = BytesPerPair(m);
        Assert.True(bytes < 1.0, $"{profile}: {bytes:F2} B per map+unmap pair");
        Assert.Equal(0, m.Machine.DmaDebug.LiveEntries);
    }

    /// <summary>
    /// Allocation budget of one boot (not time, issue 13/14: a sweep boots a machine per cell). The swiotlb
    /// slot bookkeeping (32,768 slots of a 64 MiB pool: 640 KiB) is laid out per segment when first used and
    /// the IOTLB (4,096 slots: 160 KiB) at its first fill, so a boot that bounces and translates nothing
    /// allocates neither. Before: about 860 KiB per boot of this scenario.
    /// </summary>
    [Fact]
    public void Boot_allocates_no_swiotlb_slot_table_or_iotlb_before_they_are_used()
    {
        var seed = DmaSim.Scenarios.SeedSuite.All().First(s => s.ResourceName.Contains("bios-drhd-at-address-zero", StringComparison.Ordinal));
        var scenario = DmaSim.Scenarios.ScenarioLoader.Parse(seed.Text, seed.ResourceName);
        var profile = DmaSim.Kernel.Profiles.ProfileCatalog.Find("linux-6.1")!;
        DmaSim.Simulation.Machine.SimMachine.Boot(scenario, profile, scenario.Kernel.Cmdline);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var m = DmaSim.Simulation.Machine.SimMachine.Boot(scenario, profile, scenario.Kernel.Cmdline);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(m.Kernel.K.Swiotlb);
        Assert.NotEmpty(m.Remappers);
        Assert.True(bytes < 96 * 1024, $"one boot allocated {bytes} B");
    }

    /// <summary>
    /// Allocation budget of one sweep cell of the seed scenario the sweep docs use (64 writes and reads of
    /// 64 KiB under linux-6.1): the controller keeps the random stream's state of each write, not the 64 KiB
    /// (drawn again when compared), and the disk keeps a write it received unchanged the same way. Before:
    /// about 4.9 MB per run.
    /// </summary>
    [Fact]
    public void A_seed_run_does_not_keep_every_write_buffer_alive()
    {
        var seed = DmaSim.Scenarios.SeedSuite.All().First(s => s.ResourceName.Contains("smartarray-passthrough", StringComparison.Ordinal));
        var scenario = DmaSim.Scenarios.ScenarioLoader.Parse(seed.Text, seed.ResourceName);
        var profile = DmaSim.Kernel.Profiles.ProfileCatalog.Find("linux-6.1")!;
        ScenarioRunner.Run(scenario, profile);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var r = ScenarioRunner.Run(scenario, profile);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(r.AllExpectationsHeld);
        Assert.True(bytes < 2_000_000, $"one run allocated {bytes} B");
    }

    /// <summary>
    /// The storage controller's receive buffer is scratch from the shared pool, not 64 KiB allocated and zeroed
    /// by the controller of every cell (a quarter of a seed cell's garbage, issue 13). Measured the same way
    /// as the run above: the first run of a profile warms the pool on this thread, the least of three is
    /// counted. The budgets sit between today's runs and the same runs with the buffer allocated per
    /// controller (2026-12-08, Debug: 208,384 against 273,952 B, and 252,768 against 318,336 B).
    /// </summary>
    [Theory]
    [InlineData("linux-6.1", "intel_iommu=on iommu=pt", 240_000)]
    [InlineData("linux-2.6.32", "intel_iommu=on", 285_000)]
    public void A_seed_run_takes_its_receive_buffer_from_the_pool(string profileName, string cmdline, long budget)
    {
        var seed = DmaSim.Scenarios.SeedSuite.All().First(s => s.ResourceName.Contains("smartarray-passthrough", StringComparison.Ordinal));
        var scenario = DmaSim.Scenarios.ScenarioLoader.Parse(seed.Text, seed.ResourceName);
        var profile = DmaSim.Kernel.Profiles.ProfileCatalog.Find(profileName)!;
        ScenarioRunner.Run(scenario, profile, cmdline);
        var least = long.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            ScenarioRunner.Run(scenario, profile, cmdline);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(least < budget, $"one run allocated {least} B");
    }

    /// <summary>dma-debug reuses its entries: the pool holds as many as were ever live at once, not one per map.</summary>
    [Fact]
    public void Dma_debug_entries_come_from_a_free_list()
    {
        var m = BenchMachines.Build(MapBenchMode.Strict);
        var pooled = m.Machine.DmaDebug.PooledEntries;
        BytesPerPair(m);
        Assert.Equal(pooled + 1, m.Machine.DmaDebug.PooledEntries);
    }

    private static double BytesPerPair(BenchMachine m, int warmupPairs = 4096)
    {
        const int Pairs = 4096;
        void Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                // map_benchmark_thread: dma_map_single, dma_mapping_error, dma_unmap_single.
                var r = m.Dma.Map(m.Device, m.Buffer, m.Size, DmaDirection.Bidirectional);
                if (m.Dma.MappingError(m.Device, r.Address, !r.Ok)) throw new InvalidOperationException(r.Error);
                m.Dma.Unmap(m.Device, r.Address, m.Size, DmaDirection.Bidirectional);
            }
        }
        Run(warmupPairs); // steady state: range caches, flush queue and IOTLB bookkeeping sized
        // The least of three windows: an object per pair shows in every window; a one-off allocation does not.
        // In the full test run (other tests' machines on the same worker thread, GCs from parallel classes) one
        // 4,096-pair window of the swiotlb case once read 1.51 B per pair (CI, 2026-12-07); in isolation it reads 0.
        var least = double.MaxValue;
        for (var window = 0; window < 3; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run(Pairs);
            least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Pairs);
        }
        return least;
    }
}
