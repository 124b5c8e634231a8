namespace DmaSim.Kernel.Mm;

/// <summary>
/// The free lists of one zone (struct zone free_area[MAX_ORDER]). Sparse: a run of contiguous free
/// max-order blocks that nobody has touched since boot or hot-add is one list entry, carved one block at
/// a time when allocations reach it, so a 16 TiB zone costs a handful of objects. Blocks below max order
/// are explicit entries, indexed by pfn so a free can find its buddy (mm/page_alloc.c __find_buddy_index:
/// buddy = pfn ^ (1 &lt;&lt; order)). Max-order blocks never merge, so runs never need that lookup.
/// Migrate types and per-cpu page lists are not modelled: one list per order.
/// </summary>
internal sealed class BuddyZone
{
    public const int MaxOrder = PageAllocator.MaxOrder;
    private const int TopOrder = MaxOrder - 1;

    private sealed class FreeEntry
    {
        public ulong Pfn;
        public ulong Count;
        public int Order;
        public FreeEntry? Prev;
        public FreeEntry? Next;
    }

    private readonly FreeEntry?[] _heads = new FreeEntry?[MaxOrder];
    private readonly FreeEntry?[] _tails = new FreeEntry?[MaxOrder];
    private readonly ulong[] _blocks = new ulong[MaxOrder];
    private readonly Dictionary<ulong, FreeEntry> _byPfn = [];
    private readonly Stack<FreeEntry> _spare = new();
    private readonly BuddyBootPlacement _placement;
    private int _liveEntries;

    public BuddyZone(ZoneType type, BuddyBootPlacement placement)
    {
        Type = type;
        _placement = placement;
    }

    public ZoneType Type { get; }
    public ulong FreePages { get; private set; }
    public ulong ManagedPages { get; private set; }
    public ulong StartPfn { get; private set; } = ulong.MaxValue;
    public ulong EndPfn { get; private set; }

    /// <summary>Objects this zone holds on the host (list entries plus recycled ones).</summary>
    public int ObjectCount => _liveEntries + _spare.Count;

    public ulong BlocksOfOrder(int order) => _blocks[order];

    /// <summary>
    /// Hand a free pfn range to the zone the way boot (memblock_free_all / free_all_bootmem) and hot-add
    /// do: ascending, as the largest naturally aligned blocks that fit (mm/memblock.c
    /// __free_pages_memory picks min(MAX_ORDER-1, __ffs(start)) and shrinks to fit the end). Buddy
    /// merging of ascending frees ends in exactly that decomposition.
    /// </summary>
    public void AddFreeRange(ulong first, ulong endExclusive)
    {
        if (endExclusive <= first) return;
        ManagedPages += endExclusive - first;
        FreePages += endExclusive - first;
        StartPfn = Math.Min(StartPfn, first);
        EndPfn = Math.Max(EndPfn, endExclusive);
        var toTail = _placement == BuddyBootPlacement.LowestFirst;
        var p = first;
        while (p < endExclusive)
        {
            var order = LargestOrderAt(p, endExclusive - p);
            if (order == TopOrder)
            {
                var count = (endExclusive - p) >> TopOrder;
                Insert(p, count, TopOrder, toTail);
                p += count << TopOrder;
            }
            else
            {
                Insert(p, 1, order, toTail);
                p += 1UL << order;
            }
        }
    }

    /// <summary>Pages that become managed outside <see cref="AddFreeRange"/> (early memory released late).</summary>
    public void AddManaged(ulong pfn, ulong pages)
    {
        ManagedPages += pages;
        StartPfn = Math.Min(StartPfn, pfn);
        EndPfn = Math.Max(EndPfn, pfn + pages);
    }

    /// <summary>Largest order whose aligned block starts at <paramref name="pfn"/> and fits in <paramref name="pages"/>.</summary>
    public static int LargestOrderAt(ulong pfn, ulong pages)
    {
        var align = pfn == 0 ? TopOrder : Math.Min(TopOrder, System.Numerics.BitOperations.TrailingZeroCount(pfn));
        var fit = 63 - System.Numerics.BitOperations.LeadingZeroCount(pages);
        return Math.Min(align, fit);
    }

    /// <summary>
    /// __rmqueue_smallest + expand: the first block on the smallest non-empty list of order ≥ the request;
    /// a larger block is split, its upper halves go to the heads of the lower lists, the lowest part is used.
    /// </summary>
    public ulong? Take(int order)
    {
        for (var o = order; o < MaxOrder; o++)
        {
            var e = _heads[o];
            if (e is null) continue;
            ulong pfn;
            if (e.Count > 1)
            {
                // A run stands for Count blocks queued in boot order: newest at the head.
                if (_placement == BuddyBootPlacement.HighestFirst) pfn = e.Pfn + ((e.Count - 1) << o);
                else { pfn = e.Pfn; e.Pfn += 1UL << o; }
                e.Count--;
            }
            else
            {
                pfn = e.Pfn;
                Remove(e);
            }
            _blocks[o]--;
            while (o > order)
            {
                o--;
                Insert(pfn + (1UL << o), 1, o, toTail: false);
            }
            FreePages -= 1UL << order;
            return pfn;
        }
        return null;
    }

    /// <summary>
    /// Takes the naturally aligned block of <paramref name="order"/> at <paramref name="pfn"/> when all of it is
    /// free: the free block containing it is unlinked and split down around it, the other halves queued at the
    /// list heads as expand() does (the isolation half of mm/page_alloc.c alloc_contig_range, which claims a
    /// given pfn range). False, and nothing changes, when any page of it is in use.
    /// </summary>
    public bool TakeAt(ulong pfn, int order)
    {
        for (var o = order; o < MaxOrder; o++)
        {
            var block = pfn & ~((1UL << o) - 1);
            FreeEntry? e;
            ulong index = 0;
            if (o < TopOrder)
            {
                if (!_byPfn.TryGetValue(block, out e) || e.Order != o) continue;
            }
            else
            {
                e = null;
                for (var x = _heads[TopOrder]; x is not null; x = x.Next)
                {
                    if (block < x.Pfn || block >= x.Pfn + (x.Count << TopOrder)) continue;
                    e = x;
                    break;
                }
                if (e is null) return false;
                index = (block - e.Pfn) >> TopOrder;
            }
            if (e.Count == 1) Remove(e);
            else if (index == 0)
            {
                e.Pfn += 1UL << o;
                e.Count--;
            }
            else if (index == e.Count - 1) e.Count--;
            else
            {
                // A run split around the block: the part above becomes a run of its own.
                var above = e.Count - index - 1;
                e.Count = index;
                _blocks[o] -= above;
                Insert(block + (1UL << o), above, o, toTail: false);
            }
            _blocks[o]--;
            while (o > order)
            {
                o--;
                var half = 1UL << o;
                if (pfn >= block + half)
                {
                    Insert(block, 1, o, toTail: false);
                    block += half;
                }
                else Insert(block + half, 1, o, toTail: false);
            }
            FreePages -= 1UL << order;
            return true;
        }
        return false;
    }

    /// <summary>__free_one_page: merge with free buddies of equal order, then queue at the list head.</summary>
    public void Free(ulong pfn, int order)
    {
        FreePages += 1UL << order;
        while (order < TopOrder)
        {
            var buddyPfn = pfn ^ (1UL << order);
            if (!_byPfn.TryGetValue(buddyPfn, out var buddy) || buddy.Order != order) break;
            Remove(buddy);
            _blocks[order]--;
            pfn &= buddyPfn;
            order++;
        }
        Insert(pfn, 1, order, toTail: false);
    }

    private void Insert(ulong pfn, ulong count, int order, bool toTail)
    {
        var e = _spare.Count > 0 ? _spare.Pop() : new FreeEntry();
        e.Pfn = pfn;
        e.Count = count;
        e.Order = order;
        e.Prev = e.Next = null;
        if (toTail)
        {
            e.Prev = _tails[order];
            if (e.Prev is null) _heads[order] = e; else e.Prev.Next = e;
            _tails[order] = e;
        }
        else
        {
            e.Next = _heads[order];
            if (e.Next is null) _tails[order] = e; else e.Next.Prev = e;
            _heads[order] = e;
        }
        if (order < TopOrder) _byPfn.Add(pfn, e);
        _blocks[order] += count;
        _liveEntries++;
    }

    // Unlinks an entry that stands for a single block; the caller adjusts the block count.
    private void Remove(FreeEntry e)
    {
        if (e.Prev is null) _heads[e.Order] = e.Next; else e.Prev.Next = e.Next;
        if (e.Next is null) _tails[e.Order] = e.Prev; else e.Next.Prev = e.Prev;
        if (e.Order < TopOrder) _byPfn.Remove(e.Pfn);
        e.Prev = e.Next = null;
        _liveEntries--;
        _spare.Push(e);
    }
}
