using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;
using static DmaSim.Kernel.Tests.Mm.TestMachine;

namespace DmaSim.Kernel.Tests.Mm;

public class PageAllocatorTests
{
    private static readonly FrameOwner _buf = new(OwnerKind.KernelBuffer, "dev", "buf");

    [Fact]
    public void Zones_are_built_from_usable_ranges_minus_reserved_ones()
    {
        var m = Typical8G();
        var dma = m.Allocator.Stats(ZoneType.Dma);
        var dma32 = m.Allocator.Stats(ZoneType.Dma32);
        var normal = m.Allocator.Stats(ZoneType.Normal);
        // DMA: pages 1..0x9f (page 0 reserved) and 0x100..0xfff (16 MiB), kernel image starts at 16 MiB.
        Assert.Equal((0xa0UL - 1) + (0x1000UL - 0x100), dma.ManagedPages);
        // DMA32: 16 MiB..3 GiB minus the 16 MiB kernel image.
        Assert.Equal(0xc0000UL - 0x1000 - 0x1000, dma32.ManagedPages);
        Assert.Equal(0x140000UL, normal.ManagedPages);
        Assert.Equal(normal.ManagedPages, normal.FreePages);
        Assert.Equal(0x240000UL, m.Allocator.MaxPfn);
        Assert.Equal(ZoneType.Dma, m.Allocator.ZoneOf(new PhysAddr(0xfff000)));
        Assert.Equal(ZoneType.Dma32, m.Allocator.ZoneOf(new PhysAddr(0x1000000)));
        Assert.Equal(ZoneType.Normal, m.Allocator.ZoneOf(new PhysAddr(0x100000000)));
        Assert.Null(m.Allocator.ZoneOf(new PhysAddr(0xc0000000)));
        Assert.Equal(OwnerKind.Kernel, m.Owners.OwnerOf(new PhysAddr(0x1800000)).Kind);
        Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(new PhysAddr(0x2000000)).Kind);
        // 5 GiB of Normal memory aligned to 4 MiB is 1280 max-order blocks and nothing else.
        Assert.Equal(1280UL, normal.FreeBlocksByOrder[PageAllocator.MaxOrder - 1]);
    }

    /// <summary>split_page: a block handed out as 2^order pages, each freed on its own; once all are back the buddies merge again.</summary>
    [Fact]
    public void A_split_block_is_freed_page_by_page_and_merges_back_whole()
    {
        var m = Typical8G();
        var before = m.Allocator.Stats(ZoneType.Normal);
        var run = m.Allocator.AllocSplitPages(9, Gfp.Kernel, _buf)!.Value;
        Assert.Equal(ZoneType.Normal, run.Zone);
        Assert.Equal(before.FreePages - 512, m.Allocator.Stats(ZoneType.Normal).FreePages);
        Assert.Equal(OwnerKind.KernelBuffer, m.Owners.OwnerOf(run.Start.Add(511 * 4096UL)).Kind);
        // In the middle first, then the rest in a shuffled order.
        var order = Enumerable.Range(0, 512).OrderBy(i => (i * 7919) % 512).ToList();
        foreach (var i in order)
        {
            var page = run.Start.Add((ulong)i * 4096);
            m.Allocator.FreePages(page, 0);
            Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(page).Kind);
            var e = Assert.Throws<InvalidOperationException>(() => m.Allocator.FreePages(page, 0));
            Assert.Contains("double free", e.Message, StringComparison.Ordinal);
            Assert.False(m.Allocator.FreePagesIfAllocated(page, 0));
        }
        var after = m.Allocator.Stats(ZoneType.Normal);
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.FreeBlocksByOrder, after.FreeBlocksByOrder);
    }

    /// <summary>AllocPagesAt claims exactly the block asked for (in a max-order run, a split block, any zone), never a used one, and the free lists stay whole.</summary>
    [Fact]
    public void AllocPagesAt_claims_the_block_asked_for_and_only_a_free_one()
    {
        var m = Typical8G();
        var free = m.Allocator.TotalFreePages;
        // In the middle of the Normal zone's max-order run, then its first and last block.
        var mid = m.Allocator.AllocPagesAt(new PhysAddr(0x180000000 + 0x5000), 0, _buf);
        Assert.Equal(new PhysAddr(0x180005000), mid!.Value.Start);
        Assert.Equal(ZoneType.Normal, mid.Value.Zone);
        Assert.Equal(_buf, m.Owners.OwnerOf(new PhysAddr(0x180005000)));
        Assert.NotNull(m.Allocator.AllocPagesAt(new PhysAddr(0x100000000), 4, _buf));
        Assert.NotNull(m.Allocator.AllocPagesAt(new PhysAddr(0x23fff0000), 4, _buf));
        Assert.NotNull(m.Allocator.AllocPagesAt(new PhysAddr(0x80000000), 2, _buf));
        Assert.Equal(free - 1 - 16 - 16 - 4, m.Allocator.TotalFreePages);
        // Taken, misaligned, not RAM, or reserved: null, nothing changes.
        Assert.Null(m.Allocator.AllocPagesAt(new PhysAddr(0x180005000), 0, _buf));
        Assert.Null(m.Allocator.AllocPagesAt(new PhysAddr(0x180004000), 1, _buf));
        Assert.Null(m.Allocator.AllocPagesAt(new PhysAddr(0x180001000), 1, _buf));
        Assert.Null(m.Allocator.AllocPagesAt(new PhysAddr(0xc0000000), 0, _buf));
        Assert.Null(m.Allocator.AllocPagesAt(new PhysAddr(0x1800000), 0, _buf));
        Assert.Equal(free - 1 - 16 - 16 - 4, m.Allocator.TotalFreePages);
        // Freed, the block merges back: an order-10 block at the same place can be claimed again.
        m.Allocator.FreePages(new PhysAddr(0x180005000), 0);
        Assert.NotNull(m.Allocator.AllocPagesAt(new PhysAddr(0x180000000), 10, _buf));
        // Every other page still comes out of AllocPages exactly once.
        var seen = new HashSet<ulong>();
        while (m.Allocator.AllocPages(0, Gfp.Kernel, _buf) is { } p) Assert.True(seen.Add(p.Start.Value), $"{p.Start} handed out twice");
        Assert.DoesNotContain(0x100000000UL, seen);
        Assert.DoesNotContain(0x180000000UL + 0x3000, seen);
        Assert.Equal(0UL, m.Allocator.TotalFreePages);
    }

    [Theory]
    [InlineData(1UL, 0)]
    [InlineData(4096UL, 0)]
    [InlineData(4097UL, 1)]
    [InlineData(8192UL, 1)]
    [InlineData(262144UL, 6)]
    [InlineData(4194304UL, 10)]
    [InlineData(4194305UL, 11)]
    public void GetOrder_matches_get_order(ulong size, int order) => Assert.Equal(order, PageAllocator.GetOrder(size));

    [Theory]
    [InlineData(Gfp.Kernel, ZoneType.Normal, false)]
    [InlineData(Gfp.Dma, ZoneType.Dma, false)]
    [InlineData(Gfp.HighMem, ZoneType.Normal, false)]
    [InlineData(Gfp.Dma | Gfp.HighMem, ZoneType.Dma, true)]
    [InlineData(Gfp.Dma32, ZoneType.Dma32, false)]
    [InlineData(Gfp.Dma | Gfp.Dma32, ZoneType.Dma, true)]
    [InlineData(Gfp.Dma32 | Gfp.HighMem, ZoneType.Dma, true)]
    [InlineData(Gfp.Dma | Gfp.Dma32 | Gfp.HighMem, ZoneType.Dma, true)]
    [InlineData(Gfp.Dma32 | Gfp.Zero | Gfp.Atomic, ZoneType.Dma32, false)]
    public void Gfp_zone_follows_the_2_6_32_table(Gfp gfp, ZoneType zone, bool bad) =>
        Assert.Equal(new GfpZoneResult(zone, bad), GfpZone.Resolve(gfp));

    [Fact]
    public void Allocations_come_from_the_zone_their_modifiers_name()
    {
        var m = Typical8G();
        Assert.Equal(ZoneType.Normal, m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value.Zone);
        Assert.Equal(ZoneType.Dma32, m.Allocator.AllocPages(0, Gfp.Dma32, _buf)!.Value.Zone);
        Assert.Equal(ZoneType.Dma, m.Allocator.AllocPages(0, Gfp.Dma, _buf)!.Value.Zone);
        var events = m.Events.Events.OfType<PageAllocEvent>().Select(e => e.Zone).ToArray();
        Assert.Equal([ZoneType.Normal, ZoneType.Dma32, ZoneType.Dma], events);
    }

    [Fact]
    public void Both_DMA_flags_allocate_from_ZONE_DMA_and_report_the_bad_combination()
    {
        var m = Typical8G();
        var a = m.Allocator.AllocPages(0, Gfp.Dma | Gfp.Dma32, _buf);
        Assert.NotNull(a);
        Assert.Equal(ZoneType.Dma, a.Value.Zone);
        Assert.True(a.Value.Start.Value < 16 * MiB);
        var bad = Assert.Single(m.Events.Events.OfType<GfpZoneBadEvent>());
        Assert.False(bad.Bug);
    }

    [Fact]
    public void Both_DMA_flags_BUG_under_CONFIG_DEBUG_VM()
    {
        var m = Typical8G();
        m.Allocator.DebugVm = true;
        Assert.Null(m.Allocator.AllocPages(0, Gfp.Dma | Gfp.Dma32, _buf));
        Assert.True(Assert.Single(m.Events.Events.OfType<GfpZoneBadEvent>()).Bug);
        Assert.Contains(m.Events.LogLines(), l => l.StartsWith("kernel BUG", StringComparison.Ordinal));
    }

    [Fact]
    public void Zone_fallback_goes_downwards_only()
    {
        // 12 MiB of DMA, 8 MiB of DMA32, 8 MiB of Normal.
        var m = Create([Usable(0x400000, 0xffffff), Usable(0x1000000, 0x17fffff), Usable(0x100000000, 0x1007fffff)]);
        var a = m.Allocator;
        for (var i = 0; i < 2; i++) Assert.Equal(ZoneType.Normal, a.AllocPages(10, Gfp.Kernel, _buf)!.Value.Zone);
        // Normal is exhausted: GFP_KERNEL falls back to DMA32, then DMA.
        for (var i = 0; i < 2; i++) Assert.Equal(ZoneType.Dma32, a.AllocPages(10, Gfp.Kernel, _buf)!.Value.Zone);
        Assert.Equal(ZoneType.Dma, a.AllocPages(10, Gfp.Kernel, _buf)!.Value.Zone);
        // GFP_DMA32 never goes up to Normal; with DMA32 empty it takes DMA.
        Assert.Equal(ZoneType.Dma, a.AllocPages(10, Gfp.Dma32, _buf)!.Value.Zone);
        Assert.Equal(ZoneType.Dma, a.AllocPages(10, Gfp.Dma, _buf)!.Value.Zone);
        Assert.Null(a.AllocPages(10, Gfp.Dma, _buf));
        Assert.Null(a.AllocPages(0, Gfp.Kernel, _buf));
        Assert.Single(m.Events.Events.OfType<PageAllocFailedEvent>(), e => e.Gfp == Gfp.Dma);
    }

    [Fact]
    public void GFP_DMA_fails_while_other_zones_have_memory()
    {
        var m = Create([Usable(0x800000, 0x8fffff), Usable(0x1000000, 0x1ffffff)]);
        Assert.NotNull(m.Allocator.AllocPages(8, Gfp.Dma, _buf));
        Assert.Null(m.Allocator.AllocPages(0, Gfp.Dma, _buf));
        Assert.Equal(ZoneType.Dma32, m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value.Zone);
    }

    [Fact]
    public void After_boot_the_highest_block_is_handed_out_first_and_split_upwards()
    {
        var m = Typical8G();
        var first = m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value;
        var second = m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value;
        var pair = m.Allocator.AllocPages(1, Gfp.Kernel, _buf)!.Value;
        Assert.Equal(0x23fc00000UL, first.Start.Value);
        Assert.Equal(0x23fc01000UL, second.Start.Value);
        Assert.Equal(0x23fc02000UL, pair.Start.Value);
        Assert.Equal(0xbfc00000UL, m.Allocator.AllocPages(0, Gfp.Dma32, _buf)!.Value.Start.Value);
    }

    [Fact]
    public void Modern_tail_placement_hands_out_the_lowest_block_first()
    {
        var m = Typical8G(BuddyBootPlacement.LowestFirst);
        Assert.Equal(0x100000000UL, m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value.Start.Value);
        Assert.Equal(0x2000000UL, m.Allocator.AllocPages(10, Gfp.Dma32, _buf)!.Value.Start.Value);
    }

    [Fact]
    public void Freed_blocks_coalesce_back_and_are_reused_first()
    {
        var m = Typical8G();
        var before = m.Allocator.AllStats();
        var a = m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value;
        var b = m.Allocator.AllocPages(3, Gfp.Kernel, _buf)!.Value;
        Assert.Equal(_buf, m.Owners.OwnerOf(b.Start.Add(0x7000)));
        m.Allocator.FreePages(a.Start, 0);
        Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(a.Start).Kind);
        Assert.Equal(a.Start, m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value.Start);
        m.Allocator.FreePages(a.Start, 0);
        m.Allocator.FreePages(b.Start, 3);
        var after = m.Allocator.AllStats();
        for (var z = 0; z < 3; z++)
        {
            Assert.Equal(before[z].FreePages, after[z].FreePages);
            Assert.Equal(before[z].FreeBlocksByOrder, after[z].FreeBlocksByOrder);
        }
        Assert.Equal(2, m.Events.Events.OfType<PageFreeEvent>().Count(e => e.Start == a.Start));
    }

    [Fact]
    public void Double_free_and_wrong_order_are_refused()
    {
        var m = Typical8G();
        var a = m.Allocator.AllocPages(2, Gfp.Kernel, _buf)!.Value;
        Assert.Throws<InvalidOperationException>(() => m.Allocator.FreePages(a.Start, 1));
        m.Allocator.FreePages(a.Start, 2);
        Assert.Throws<InvalidOperationException>(() => m.Allocator.FreePages(a.Start, 2));
    }

    [Fact]
    public void GFP_ZERO_clears_stale_bytes_and_plain_allocations_keep_them()
    {
        var m = Typical8G();
        var a = m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value;
        m.Memory.Fill(a.Start, 4096, 0xAB);
        m.Allocator.FreePages(a.Start, 0);
        var stale = m.Allocator.AllocPages(0, Gfp.Kernel, _buf)!.Value;
        Assert.Equal(a.Start, stale.Start);
        Assert.Equal(0xABu, m.Memory.ReadU32(stale.Start.Add(100)) & 0xFF);
        m.Allocator.FreePages(stale.Start, 0);
        var zeroed = m.Allocator.AllocPages(0, Gfp.Kernel | Gfp.Zero, _buf)!.Value;
        Assert.Equal(a.Start, zeroed.Start);
        Assert.Equal(0u, m.Memory.ReadU32(zeroed.Start.Add(100)));
    }

    [Fact]
    public void Orders_beyond_MAX_ORDER_fail()
    {
        var m = Typical8G();
        Assert.Null(m.Allocator.AllocPages(PageAllocator.MaxOrder, Gfp.Kernel, _buf));
        Assert.NotNull(m.Allocator.AllocPages(PageAllocator.MaxOrder - 1, Gfp.Kernel, _buf));
    }

    [Fact]
    public void Early_allocation_is_taken_from_the_top_below_the_limit()
    {
        var m = Typical8G();
        var pool = m.Allocator.AllocEarly(64 * MiB, 4096, 4 * GiB - 1, new FrameOwner(OwnerKind.SwiotlbPool));
        Assert.Equal(0xbc000000UL, pool!.Value.Value);
        Assert.Equal(OwnerKind.SwiotlbPool, m.Owners.OwnerOf(new PhysAddr(0xbfffffff)).Kind);
        var next = m.Allocator.AllocEarly(32 * KiB, 4096, 4 * GiB - 1, FrameOwner.Free);
        Assert.Equal(0xbc000000UL - 32 * KiB, next!.Value.Value);
        Assert.Null(m.Allocator.AllocEarly(4 * GiB, 4096, 4 * GiB - 1, FrameOwner.Free));
        Assert.Equal(0xc0000UL - 0x2000 - 0x4000 - 8, m.Allocator.Stats(ZoneType.Dma32).ManagedPages);
        Assert.NotNull(m.Allocator.AllocPages(0, Gfp.Dma32, _buf));
        Assert.Throws<InvalidOperationException>(() => m.Allocator.AllocEarly(4096, 4096, 4 * GiB - 1, FrameOwner.Free));
        // Handing the pool back after boot makes its pages allocatable again.
        var freeBefore = m.Allocator.Stats(ZoneType.Dma32).FreePages;
        m.Allocator.ReleaseEarly(PhysRange.FromSize(pool.Value, 64 * MiB));
        Assert.Equal(freeBefore + 0x4000, m.Allocator.Stats(ZoneType.Dma32).FreePages);
        Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(pool.Value).Kind);
    }

    [Fact]
    public void Hot_added_memory_joins_Normal_raises_max_pfn_and_is_used_first()
    {
        var m = Typical8G();
        m.Allocator.AllocPages(0, Gfp.Kernel, _buf);
        var before = m.Allocator.Stats(ZoneType.Normal);
        m.Allocator.HotAdd(new PhysRange(0x240000000, 0x43fffffff));
        Assert.Equal(0x440000UL, m.Allocator.MaxPfn);
        Assert.Equal(ZoneType.Normal, m.Allocator.ZoneOf(new PhysAddr(0x300000000)));
        var after = m.Allocator.Stats(ZoneType.Normal);
        Assert.Equal(before.ManagedPages + 0x200000, after.ManagedPages);
        Assert.Equal(before.FreePages + 0x200000, after.FreePages);
        Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(new PhysAddr(0x43ffff000)).Kind);
        // Newly onlined blocks sit at the head of the free lists.
        Assert.Equal(0x43fc00000UL, m.Allocator.AllocPages(10, Gfp.Kernel, _buf)!.Value.Start.Value);
        Assert.Throws<ArgumentException>(() => m.Allocator.HotAdd(new PhysRange(0x23ff00000, 0x240ffffff)));
        Assert.Single(m.Events.Events.OfType<MemoryHotAddEvent>());
    }

    [Fact]
    public void A_16_TiB_machine_boots_with_a_handful_of_objects()
    {
        var m = Create([Usable(0x1000, 0x9ffff), Usable(0x100000, 0xbfffffff), Usable(0x100000000, (16UL << 40) - 1)], addressBits: 46);
        var a = m.Allocator;
        var normal = a.Stats(ZoneType.Normal);
        Assert.Equal(((16UL << 40) - (4UL << 30)) >> 12, normal.ManagedPages);
        Assert.Equal(((16UL << 40) - (4UL << 30)) >> 22, normal.FreeBlocksByOrder[10]);
        var live = new List<PageAllocation>();
        for (var i = 0; i < 100; i++) live.Add(a.AllocPages(i % 11, i % 3 == 0 ? Gfp.Dma32 : Gfp.Kernel, _buf)!.Value);
        Assert.InRange(a.InternalObjectCount, 1, 500);
        Assert.True(m.Owners.RunCount < 500);
        Assert.Equal(0, m.Memory.TouchedPages);
        foreach (var p in live) a.FreePages(p.Start, p.Order);
        Assert.Equal(normal.FreePages, a.Stats(ZoneType.Normal).FreePages);
        Assert.Equal(normal.FreeBlocksByOrder, a.Stats(ZoneType.Normal).FreeBlocksByOrder);
    }
}
