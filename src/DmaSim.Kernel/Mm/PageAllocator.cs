using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Kernel.Mm;

/// <summary>
/// The zoned buddy page allocator of x86-64 Linux, with the memblock/bootmem phase before it.
/// Zones: DMA [0, 16 MiB), DMA32 [16 MiB, 4 GiB), Normal above (arch/x86/mm/init.c zone_sizes_init with
/// MAX_DMA_PFN and MAX_DMA32_PFN). Until the first buddy operation the allocator is in its early phase:
/// <see cref="AllocEarly"/> carves from the free ranges as memblock does; the first
/// <see cref="AllocPages"/> (or free, or hot-add) hands what is left to the buddy lists, like
/// mem_init → free_all_bootmem / memblock_free_all. Memory use is proportional to what was allocated,
/// not to RAM size.
/// </summary>
public sealed class PageAllocator
{
    /// <summary>MAX_ORDER of 2.6.32 include/linux/mmzone.h (without CONFIG_FORCE_MAX_ZONEORDER): orders 0..10.</summary>
    public const int MaxOrder = 11;

    /// <summary>MAX_DMA_PFN: ZONE_DMA ends at 16 MiB (arch/x86/include/asm/dma.h).</summary>
    public const ulong DmaEndPfn = (16UL << 20) >> PhysAddr.PageShift;

    /// <summary>MAX_DMA32_PFN: ZONE_DMA32 ends at 4 GiB (arch/x86/include/asm/dma.h).</summary>
    public const ulong Dma32EndPfn = (4UL << 30) >> PhysAddr.PageShift;

    private static readonly FrameOwner _reservedOwner = new(OwnerKind.Kernel, Label: "reserved");

    private readonly PhysicalMemory _memory;
    private readonly FrameOwners _owners;
    private readonly EventStream _events;
    private readonly BuddyBootPlacement _placement;
    private readonly BuddyZone[] _zones;
    // Early phase: free pfn ranges [first, end) sorted ascending (memblock.memory minus memblock.reserved).
    private readonly List<(ulong First, ulong End)> _earlyFree = [];
    // Pages that have a struct page: usable RAM (trimmed to whole pages) and hot-added ranges.
    private readonly List<(ulong First, ulong End)> _present = [];
    // Blocks handed out by the buddy allocator: start pfn -> (order, zone). Proportional to live allocations.
    private readonly Dictionary<ulong, (int Order, ZoneType Zone)> _allocated = [];
    // Blocks split_page turned into order-0 pages, by head pfn: one entry per block, not per page.
    private readonly Dictionary<ulong, SplitBlock> _split = [];
    private bool _buddyLive;

    public PageAllocator(E820Map e820, PhysicalMemory memory, FrameOwners owners, EventStream events, IEnumerable<PhysRange>? reservedRanges = null)
        : this(e820, memory, owners, events, reservedRanges, BuddyBootPlacement.HighestFirst)
    {
    }

    public PageAllocator(E820Map e820, PhysicalMemory memory, FrameOwners owners, EventStream events, IEnumerable<PhysRange>? reservedRanges, BuddyBootPlacement placement)
    {
        ArgumentNullException.ThrowIfNull(e820);
        _memory = memory ?? throw new ArgumentNullException(nameof(memory));
        _owners = owners ?? throw new ArgumentNullException(nameof(owners));
        _events = events ?? throw new ArgumentNullException(nameof(events));
        _placement = placement;
        _zones = [new BuddyZone(ZoneType.Dma, placement), new BuddyZone(ZoneType.Dma32, placement), new BuddyZone(ZoneType.Normal, placement)];

        foreach (var r in e820.UsableRanges)
        {
            // Only whole pages of a usable entry become RAM (e820 end pfns round the end down).
            var first = (r.Start.Value + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
            var end = (r.End.Value + 1) >> PhysAddr.PageShift;
            if (r.End.Value == ulong.MaxValue) end = 1UL << (64 - PhysAddr.PageShift);
            if (end <= first) continue;
            _present.Add((first, end));
            _earlyFree.Add((first, end));
            _owners.AssignPfns(first, end - 1, FrameOwner.Free);
        }
        _present.Sort();
        _earlyFree.Sort();
        foreach (var r in reservedRanges ?? [])
        {
            // A partly reserved page is not free (memblock_reserve rounds outwards for the buddy).
            var first = r.Start.Pfn;
            var end = r.End.Pfn + 1;
            RemoveEarly(first, end);
            foreach (var (f, e) in _present)
            {
                var a = Math.Max(f, first);
                var b = Math.Min(e, end);
                if (a < b) _owners.AssignPfns(a, b - 1, _reservedOwner);
            }
        }
        MaxPfn = _present.Count == 0 ? 0 : _present.Max(p => p.End);
    }

    /// <summary>
    /// CONFIG_DEBUG_VM: gfp_zone() BUGs on a forbidden zone-modifier combination instead of quietly
    /// returning zone 0 (2.6.32 include/linux/gfp.h gfp_zone). Off in ordinary distribution kernels.
    /// </summary>
    public bool DebugVm { get; set; }

    /// <summary>max_pfn: one past the highest page of RAM (holes below do not matter); hot-add raises it.</summary>
    public ulong MaxPfn { get; private set; }

    /// <summary>True once the buddy allocator owns the free memory (after the early phase).</summary>
    public bool IsBuddyLive => _buddyLive;

    /// <summary>Host objects behind the allocator's state, to show it stays sparse.</summary>
    public int InternalObjectCount => _zones.Sum(z => z.ObjectCount) + _allocated.Count + _split.Count + _earlyFree.Count + _present.Count;

    /// <summary>get_order(): the smallest order whose block holds <paramref name="size"/> bytes.</summary>
    public static int GetOrder(ulong size)
    {
        // include/asm-generic/getorder.h: computed from (size - 1) >> PAGE_SHIFT; size 0 wraps to the
        // largest order the word allows (BITS_PER_LONG - PAGE_SHIFT), as the old macro did.
        var pages = (size - 1) >> PhysAddr.PageShift;
        return pages == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(pages);
    }

    /// <summary>The zone an address falls in, or null when it is not RAM the kernel has a struct page for.</summary>
    public ZoneType? ZoneOf(PhysAddr address)
    {
        var pfn = address.Pfn;
        foreach (var (first, end) in _present)
        {
            if (pfn >= first && pfn < end) return ZoneOfPfn(pfn);
        }
        return null;
    }

    private static ZoneType ZoneOfPfn(ulong pfn) => pfn < DmaEndPfn ? ZoneType.Dma : pfn < Dma32EndPfn ? ZoneType.Dma32 : ZoneType.Normal;

    private static ulong ZoneEnd(ZoneType z) => z switch
    {
        ZoneType.Dma => DmaEndPfn,
        ZoneType.Dma32 => Dma32EndPfn,
        _ => ulong.MaxValue,
    };

    /// <summary>
    /// alloc_pages(gfp, order): walk the zonelist from gfp_zone(gfp) downwards and take the first block
    /// the buddy lists give (mm/page_alloc.c get_page_from_freelist → buffered_rmqueue → __rmqueue).
    /// Watermarks, lowmem_reserve and reclaim are not modelled: a zone with a free block always serves.
    /// Tags the pages with <paramref name="owner"/>; zeroes them for __GFP_ZERO (prep_new_page), otherwise
    /// they keep whatever bytes the previous user left. Returns null when no allowed zone can serve.
    /// </summary>
    public PageAllocation? AllocPages(int order, Gfp gfp, FrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        // __alloc_pages_slowpath refuses order >= MAX_ORDER (WARN_ON_ONCE unless __GFP_NOWARN, then NULL).
        if (order < 0 || order >= MaxOrder)
        {
            _events.Emit(new PageAllocFailedEvent(order, gfp, GfpZone.Resolve(gfp).HighestZone));
            return null;
        }
        EnsureBuddyLive();
        var zone = GfpZone.Resolve(gfp);
        if (zone.IsBadCombination)
        {
            _events.Emit(new GfpZoneBadEvent(gfp, zone.HighestZone, DebugVm));
            if (DebugVm)
            {
                // BUG_ON((GFP_ZONE_BAD >> bit) & 1) under CONFIG_DEBUG_VM: the calling context dies.
                _events.Log($"kernel BUG: gfp_zone: forbidden zone modifiers {GfpZone.Describe(gfp)} (include/linux/gfp.h)");
                return null;
            }
        }
        foreach (var z in GfpZone.Zonelist(zone.HighestZone))
        {
            if (_zones[(int)z].Take(order) is not { } pfn) continue;
            var pages = 1UL << order;
            _owners.AssignPfns(pfn, pfn + pages - 1, owner);
            var start = PhysAddr.FromPfn(pfn);
            if ((gfp & Gfp.Zero) != 0) _memory.Fill(start, pages << PhysAddr.PageShift, 0);
            _allocated.Add(pfn, (order, z));
            _events.Emit(new PageAllocEvent(start, order, gfp, z, owner));
            return new PageAllocation(start, order, z);
        }
        _events.Emit(new PageAllocFailedEvent(order, gfp, zone.HighestZone));
        return null;
    }

    /// <summary>
    /// The free block of <paramref name="order"/> at <paramref name="start"/> (naturally aligned), tagged with
    /// <paramref name="owner"/>, or null when any page of it is in use or not RAM. What a long-running
    /// machine's page cache gives a driver — pages anywhere in RAM — without simulating the uptime that
    /// scatters them; the claim itself is alloc_contig_range's (mm/page_alloc.c): isolate the given pfn range
    /// from the free lists.
    /// </summary>
    public PageAllocation? AllocPagesAt(PhysAddr start, int order, FrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var pfn = start.Pfn;
        if (order < 0 || order >= MaxOrder || start.PageOffset != 0 || (pfn & ((1UL << order) - 1)) != 0) return null;
        EnsureBuddyLive();
        if (ZoneOf(start) is not { } z || ZoneOf(PhysAddr.FromPfn(pfn + (1UL << order) - 1)) != z) return null;
        if (!_zones[(int)z].TakeAt(pfn, order)) return null;
        var pages = 1UL << order;
        _owners.AssignPfns(pfn, pfn + pages - 1, owner);
        _allocated.Add(pfn, (order, z));
        _events.Emit(new PageAllocEvent(start, order, Gfp.Kernel, z, owner));
        return new PageAllocation(start, order, z);
    }

    /// <summary>
    /// alloc_pages followed by split_page (mm/page_alloc.c): 2^<paramref name="order"/> contiguous pages the
    /// caller owns one by one, each later freed with <c>FreePages(page, 0)</c>. What a run of order-0
    /// allocations from a fresh block gives too (expand() hands out the low page and queues the buddies
    /// above it), for one look-up instead of one per page.
    /// </summary>
    public PageAllocation? AllocSplitPages(int order, Gfp gfp, FrameOwner owner)
    {
        var got = AllocPages(order, gfp, owner);
        if (got is not { } a || order == 0) return got;
        _allocated.Remove(a.Start.Pfn);
        _split.Add(a.Start.Pfn, new SplitBlock(order, a.Zone));
        return a;
    }

    private sealed class SplitBlock(int order, ZoneType zone)
    {
        public int Order { get; } = order;
        public ZoneType Zone { get; } = zone;
        public ulong[] Freed { get; } = new ulong[Math.Max(1, (1 << order) / 64)];
        public int Live { get; set; } = 1 << order;
    }

    // The split block holding a still-allocated order-0 page, or null.
    private (ulong Head, SplitBlock Block)? LiveSplitPage(ulong pfn)
    {
        if (_split.Count == 0) return null;
        for (var o = 1; o < MaxOrder; o++)
        {
            var head = pfn & ~((1UL << o) - 1);
            if (!_split.TryGetValue(head, out var b) || b.Order != o) continue;
            var i = pfn - head;
            return (b.Freed[i >> 6] & (1UL << (int)(i & 63))) != 0 ? null : (head, b);
        }
        return null;
    }

    /// <summary>__free_pages(page, order): the block goes back to its zone's lists (merging with free buddies); owner back to Free.</summary>
    public void FreePages(PhysAddr start, int order)
    {
        var pfn = start.Pfn;
        if (start.PageOffset == 0 && order == 0 && !_allocated.ContainsKey(pfn) && LiveSplitPage(pfn) is var (head, block))
        {
            var i = pfn - head;
            block.Freed[i >> 6] |= 1UL << (int)(i & 63);
            if (--block.Live == 0) _split.Remove(head);
            _allocated.Add(pfn, (0, block.Zone)); // freed below like any order-0 block
        }
        if (start.PageOffset != 0 || !_allocated.TryGetValue(pfn, out var a) || a.Order != order)
            throw new InvalidOperationException($"free of {start} order {order}: no such block was allocated (double free or wrong order)");
        _allocated.Remove(pfn);
        var previous = _owners.OwnerOfPfn(pfn);
        _owners.AssignPfns(pfn, pfn + (1UL << order) - 1, FrameOwner.Free);
        _zones[(int)a.Zone].Free(pfn, order);
        _events.Emit(new PageFreeEvent(start, order, a.Zone, previous));
    }

    /// <summary>
    /// free_pages as a driver's second dma_free_coherent reaches it: a block that is no longer allocated
    /// (its refcount is already zero) is left alone — without CONFIG_DEBUG_VM put_page_testzero just
    /// underflows the count (mm/page_alloc.c __free_pages, 6.1). Returns whether anything was freed.
    /// </summary>
    public bool FreePagesIfAllocated(PhysAddr start, int order)
    {
        if (order == 0 && start.PageOffset == 0 && LiveSplitPage(start.Pfn) is not null)
        {
            FreePages(start, 0);
            return true;
        }
        if (order < 0 || start.PageOffset != 0 || !_allocated.TryGetValue(start.Pfn, out var a) || a.Order != order) return false;
        FreePages(start, order);
        return true;
    }

    /// <summary>
    /// memblock-style early allocation: the highest suitably aligned free range that ends at or below
    /// <paramref name="maxAddrInclusive"/> (memblock allocates top-down by default: mm/memblock.c
    /// struct memblock initialiser has bottom_up = false; memblock_find_in_range_node walks free ranges
    /// from the top). Page granular: size rounds up to pages, alignment to at least a page. Only valid
    /// before the buddy allocator takes over; returns null when nothing fits.
    /// </summary>
    public PhysAddr? AllocEarly(ulong size, ulong align, ulong maxAddrInclusive, FrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfZero(size);
        if (align != 0 && (align & (align - 1)) != 0) throw new ArgumentException("alignment must be a power of two", nameof(align));
        if (_buddyLive) throw new InvalidOperationException("early allocation after the buddy allocator took over (memblock is gone after mem_init)");
        var pages = (size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
        var alignPages = Math.Max(1UL, align >> PhysAddr.PageShift);
        var limit = maxAddrInclusive == ulong.MaxValue ? 1UL << (64 - PhysAddr.PageShift) : (maxAddrInclusive + 1) >> PhysAddr.PageShift;
        for (var i = _earlyFree.Count - 1; i >= 0; i--)
        {
            var (first, end) = _earlyFree[i];
            var top = Math.Min(end, limit);
            if (top < first + pages) continue;
            var start = (top - pages) & ~(alignPages - 1);
            if (start < first) continue;
            return TakeEarly(start, pages, owner);
        }
        return null;
    }

    /// <summary>
    /// Bottom-up early allocation from a goal address (2.6.32 bootmem: __alloc_bootmem_low searches upwards
    /// from its goal and retries from 0 when nothing fits above it; memblock with bottom_up = true behaves
    /// alike). Same page granularity and phase rules as <see cref="AllocEarly"/>.
    /// </summary>
    public PhysAddr? AllocEarlyBottomUp(ulong size, ulong align, ulong goal, ulong maxAddrInclusive, FrameOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfZero(size);
        if (align != 0 && (align & (align - 1)) != 0) throw new ArgumentException("alignment must be a power of two", nameof(align));
        if (_buddyLive) throw new InvalidOperationException("early allocation after the buddy allocator took over (bootmem is gone after mem_init)");
        var pages = (size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
        var alignPages = Math.Max(1UL, align >> PhysAddr.PageShift);
        var limit = maxAddrInclusive == ulong.MaxValue ? 1UL << (64 - PhysAddr.PageShift) : (maxAddrInclusive + 1) >> PhysAddr.PageShift;
        foreach (var goalPfn in new[] { goal >> PhysAddr.PageShift, 0UL })
        {
            foreach (var (first, end) in _earlyFree)
            {
                var start = (Math.Max(first, goalPfn) + alignPages - 1) & ~(alignPages - 1);
                if (start + pages > Math.Min(end, limit)) continue;
                return TakeEarly(start, pages, owner);
            }
        }
        return null;
    }

    private PhysAddr TakeEarly(ulong start, ulong pages, FrameOwner owner)
    {
        RemoveEarly(start, start + pages);
        var range = new PhysRange(PhysAddr.FromPfn(start), new PhysAddr(((start + pages) << PhysAddr.PageShift) - 1));
        _owners.AssignPfns(start, start + pages - 1, owner);
        _events.Emit(new EarlyAllocEvent(range, owner));
        return range.Start;
    }

    /// <summary>
    /// Give an early allocation back (free_bootmem_late / memblock_free_late, as swiotlb_free does when an
    /// IOMMU makes the bounce pool unnecessary). Before the buddy takes over the range returns to the early
    /// free ranges; afterwards its pages are freed into the buddy lists, merging with free neighbours.
    /// </summary>
    public void ReleaseEarly(PhysRange range)
    {
        var first = range.Start.Pfn;
        var end = range.End.Pfn + 1;
        _owners.AssignPfns(first, end - 1, FrameOwner.Free);
        if (!_buddyLive)
        {
            _earlyFree.Add((first, end));
            _earlyFree.Sort();
            return;
        }
        var p = first;
        while (p < end)
        {
            var zoneEnd = ZoneEnd(ZoneOfPfn(p));
            var order = BuddyZone.LargestOrderAt(p, Math.Min(end, zoneEnd) - p);
            var zone = _zones[(int)ZoneOfPfn(p)];
            zone.AddManaged(p, 1UL << order);
            zone.Free(p, order);
            p += 1UL << order;
        }
    }

    /// <summary>
    /// Memory hot-add (add_memory + online_pages): the range becomes present RAM, its pages go free into
    /// the zone(s) its addresses fall into (Normal above 4 GiB), MaxPfn rises. Owners become Free.
    /// </summary>
    public void HotAdd(PhysRange range)
    {
        var first = (range.Start.Value + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
        var end = (range.End.Value + 1) >> PhysAddr.PageShift;
        if (end <= first) throw new ArgumentException($"hot-added range {range} holds no whole page", nameof(range));
        foreach (var (f, e) in _present)
        {
            if (first < e && f < end) throw new ArgumentException($"hot-added range {range} overlaps present memory", nameof(range));
        }
        _present.Add((first, end));
        _present.Sort();
        _owners.AssignPfns(first, end - 1, FrameOwner.Free);
        MaxPfn = Math.Max(MaxPfn, end);
        var p = first;
        while (p < end)
        {
            var zone = ZoneOfPfn(p);
            var pieceEnd = Math.Min(end, ZoneEnd(zone));
            if (_buddyLive) _zones[(int)zone].AddFreeRange(p, pieceEnd);
            else { _earlyFree.Add((p, pieceEnd)); _earlyFree.Sort(); }
            _events.Emit(new MemoryHotAddEvent(new PhysRange(PhysAddr.FromPfn(p), new PhysAddr((pieceEnd << PhysAddr.PageShift) - 1)), zone));
            p = pieceEnd;
        }
    }

    /// <summary>Statistics of one zone (free pages, managed pages, buddyinfo).</summary>
    public ZoneStats Stats(ZoneType zone)
    {
        var z = _buddyLive ? _zones[(int)zone] : BuildZones(_earlyFree, _placement)[(int)zone];
        var blocks = new ulong[MaxOrder];
        for (var o = 0; o < MaxOrder; o++) blocks[o] = z.BlocksOfOrder(o);
        var start = z.StartPfn == ulong.MaxValue ? 0 : z.StartPfn;
        return new ZoneStats(zone, start, z.EndPfn, z.ManagedPages, z.FreePages, blocks);
    }

    /// <summary>Statistics of every zone, DMA first.</summary>
    public IReadOnlyList<ZoneStats> AllStats() => [Stats(ZoneType.Dma), Stats(ZoneType.Dma32), Stats(ZoneType.Normal)];

    /// <summary>Free pages over all zones (nr_free_pages()).</summary>
    public ulong TotalFreePages => _buddyLive ? _zones.Aggregate(0UL, (s, z) => s + z.FreePages) : _earlyFree.Aggregate(0UL, (s, r) => s + (r.End - r.First));

    /// <summary>End the early phase now (mem_init). Also happens implicitly at the first buddy operation.</summary>
    public void EnsureBuddyLive()
    {
        if (_buddyLive) return;
        var built = BuildZones(_earlyFree, _placement);
        for (var i = 0; i < _zones.Length; i++) _zones[i] = built[i];
        _earlyFree.Clear();
        _buddyLive = true;
    }

    // Split the early free ranges at the zone boundaries and queue them ascending, as boot frees them.
    private static BuddyZone[] BuildZones(List<(ulong First, ulong End)> ranges, BuddyBootPlacement placement)
    {
        BuddyZone[] zones = [new BuddyZone(ZoneType.Dma, placement), new BuddyZone(ZoneType.Dma32, placement), new BuddyZone(ZoneType.Normal, placement)];
        foreach (var (first, end) in ranges)
        {
            var p = first;
            while (p < end)
            {
                var zone = ZoneOfPfn(p);
                var pieceEnd = Math.Min(end, ZoneEnd(zone));
                zones[(int)zone].AddFreeRange(p, pieceEnd);
                p = pieceEnd;
            }
        }
        return zones;
    }

    // Cut [first, end) out of the early free ranges.
    private void RemoveEarly(ulong first, ulong end)
    {
        for (var i = _earlyFree.Count - 1; i >= 0; i--)
        {
            var (f, e) = _earlyFree[i];
            if (end <= f || e <= first) continue;
            _earlyFree.RemoveAt(i);
            if (e > end) _earlyFree.Insert(i, (end, e));
            if (f < first) _earlyFree.Insert(i, (f, first));
        }
    }
}
