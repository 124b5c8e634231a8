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
    /// Allocation budget (not time): in steady state the IOMMU part of a map+unmap pair allocates nothing,
    /// so a strict or lazy pair allocates no more than a dma-direct pair, whose only allocations are the
    /// DMA-API call records the DMA-API debug layer consumes. Guards the unobserved-event skip
    /// (EventStream.Wants) and the closure-free flush queue.
    /// </summary>
    [Theory]
    [InlineData(MapBenchMode.Strict)]
    [InlineData(MapBenchMode.Lazy)]
    public void Iommu_map_unmap_pair_allocates_no_more_than_a_direct_pair(MapBenchMode mode)
    {
        var direct = BytesPerPair(BenchMachines.Build(MapBenchMode.Direct));
        var iommu = BytesPerPair(BenchMachines.Build(mode));
        Assert.True(iommu <= direct + 1, $"{mode}: {iommu:F1} B per pair, dma-direct {direct:F1} B");
    }

    private static double BytesPerPair(BenchMachine m)
    {
        const int Pairs = 4096;
        void Run(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var r = m.Dma.Map(m.Device, m.Buffer, m.Size, DmaDirection.Bidirectional);
                m.Dma.Unmap(m.Device, r.Address, m.Size, DmaDirection.Bidirectional);
            }
        }
        Run(Pairs); // steady state: range caches, flush queue and IOTLB bookkeeping sized
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(Pairs);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Pairs;
    }
}
