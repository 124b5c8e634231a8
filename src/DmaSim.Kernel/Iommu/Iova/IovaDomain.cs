using System.Numerics;
using System.Runtime.CompilerServices;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>An allocated (or reserved) IOVA range in granule-sized pages, both ends inclusive (Linux <c>struct iova</c>).</summary>
public readonly record struct Iova(ulong PfnLo, ulong PfnHi)
{
    /// <summary>Number of pages in the range.</summary>
    public ulong Size => PfnHi - PfnLo + 1;

    public override string ToString() => $"[{PfnLo:x}-{PfnHi:x}]";
}

/// <summary>Which kernel's <c>iova.c</c> placement rules a domain follows.</summary>
public enum IovaAlgorithm
{
    /// <summary>
    /// Linux 6.x <c>drivers/iommu/iova.c</c> (rbtree era, recorded traces from 6.12): anchor node,
    /// <c>cached_node</c>/<c>cached32_node</c>, <c>max32_alloc_size</c>, one retry pass with the fix of
    /// dcdb3ba7e2a8 "iommu/iova: Fix alloc iova overflows issue", per-CPU range caches.
    /// </summary>
    Modern,

    /// <summary>
    /// 4.15 – 5.0 <c>drivers/iommu/iova.c</c> (4.19 LTS): the rbtree era of <see cref="Modern"/> (anchor node,
    /// cached_node/cached32_node, range caches) without <c>max32_alloc_size</c> (bee60e94a1e2 "iommu/iova:
    /// Optimise attempts to allocate iova from 32bit address range", 5.1 — the stable bot could not apply a
    /// later fix to 4.19.59 without it) and without the retry pass (4e89dce72521 "iommu/iova: Retry from last
    /// rb tree node if iova search fails", queued for 5.11 in November 2020).
    /// </summary>
    Linux419,

    /// <summary>5.1 – 5.10 (5.4 and 5.10 LTS): <see cref="Linux419"/> with <c>max32_alloc_size</c>, still no retry pass.</summary>
    Linux51,

    /// <summary>
    /// The 2.6.32 <c>drivers/pci/iova.c</c> used by intel-iommu in 2009: caller-passed inclusive 32-bit
    /// limit, a single <c>cached32_node</c> moved only by allocations whose limit is exactly that limit,
    /// size rounded up to a power of two when size-aligned, no anchor, no retry, no range caches.
    /// </summary>
    Linux2632,
}

/// <summary>
/// One IOVA domain (Linux <c>struct iova_domain</c>): hands out page ranges top-down below a limit,
/// placing every range exactly where Linux's <c>alloc_iova</c> would: Linux's own walk while the tree is small,
/// an O(log n) search once it is large (design and proof: docs/iova-allocator.md).
/// </summary>
/// <remarks>Not thread-safe: the simulator is single-threaded and models CPUs as an index.</remarks>
public sealed class IovaDomain
{
    /// <summary>pfn of the anchor node that sits above every usable pfn (Linux <c>IOVA_ANCHOR</c>).</summary>
    public const ulong IovaAnchor = ulong.MaxValue;

    private const int Nil = IovaRangeTree.Nil;
    private readonly IovaRangeTree _tree;
    private readonly int _anchor;
    private readonly int _granuleShift;
    private readonly IovaRangeCache? _rcache;
    private int _cachedNode;
    private int _cached32Node;

    /// <summary>Creates a domain as <c>init_iova_domain</c> (plus <c>iova_domain_init_rcaches</c> for <see cref="IovaAlgorithm.Modern"/>).</summary>
    /// <param name="granule">Smallest IOMMU page in bytes; a power of two no larger than the 4 KiB CPU page.</param>
    /// <param name="startPfn">Lowest allocatable pfn (dma-iommu passes 1, so IOVA 0 is never handed out).</param>
    /// <param name="limit32Pfn">
    /// The domain's <c>dma_32bit_pfn</c>. Modern: exclusive, derived as 1 &lt;&lt; (32 - granule shift) when
    /// null. 2.6.32: the caller-passed inclusive limit, intel-iommu's IOVA_PFN(DMA_BIT_MASK(32)) when null.
    /// </param>
    /// <param name="algorithm">Which kernel's placement to follow.</param>
    /// <param name="cpuCount">Online CPUs for the per-CPU range caches (Modern only).</param>
    public IovaDomain(ulong granule, ulong startPfn, ulong? limit32Pfn = null,
        IovaAlgorithm algorithm = IovaAlgorithm.Modern, int cpuCount = 2)
    {
        // init_iova_domain BUG()s on these; a simulator refuses them as bad arguments.
        if (granule == 0 || granule > 4096 || !BitOperations.IsPow2(granule))
            throw new ArgumentOutOfRangeException(nameof(granule), granule, "granule must be a power of two <= 4096");
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        Granule = granule;
        _granuleShift = BitOperations.TrailingZeroCount(granule);
        StartPfn = startPfn;
        Algorithm = algorithm;
        if (algorithm != IovaAlgorithm.Linux2632)
        {
            Dma32BitPfn = limit32Pfn ?? 1UL << (32 - _granuleShift);
            _tree = new IovaRangeTree(startPfn);
            _rcache = new IovaRangeCache(this, cpuCount);
        }
        else
        {
            Dma32BitPfn = limit32Pfn ?? (1UL << (32 - _granuleShift)) - 1;
            // The old loop accepts the lowest gap only when IOVA_START_PFN + size + pad <= limit, i.e. the
            // new range starts at IOVA_START_PFN + 1 or above; the floor of the lowest gap says exactly that.
            _tree = new IovaRangeTree(startPfn + 1);
        }
        Max32AllocSize = Dma32BitPfn;
        // The 2.6.32 tree has no anchor; its space "above the last node" is the anchor's gap here, clamped
        // by the limit like every gap, so keeping one node above everything changes no placement.
        _anchor = _tree.Insert(IovaAnchor, IovaAnchor);
        _cachedNode = _anchor;
        _cached32Node = algorithm != IovaAlgorithm.Linux2632 ? _anchor : Nil;
        CpuCount = cpuCount;
    }

    public ulong Granule { get; }
    public ulong StartPfn { get; }
    public IovaAlgorithm Algorithm { get; }
    public int CpuCount { get; }

    /// <summary><c>dma_32bit_pfn</c>: exclusive for Modern, inclusive for 2.6.32 (see the constructor).</summary>
    public ulong Dma32BitPfn { get; }

    /// <summary>Whether the allocator keeps <c>max32_alloc_size</c> (5.1+).</summary>
    private bool HasMax32AllocSize => Algorithm is IovaAlgorithm.Modern or IovaAlgorithm.Linux51;

    /// <summary>Modern <c>max32_alloc_size</c>: 32-bit requests of at least this many pages fail at once.</summary>
    public ulong Max32AllocSize { get; private set; }

    /// <summary>Live ranges in the tree (allocated, reserved, or parked in a range cache); the anchor is not counted.</summary>
    public int Count => _tree.Count - 1;

    /// <summary>The range <c>cached_node</c> points at; null while it is the anchor.</summary>
    public Iova? CachedNode => ToIova(_cachedNode);

    /// <summary>The range <c>cached32_node</c> points at; null while it is the anchor (or unset, 2.6.32).</summary>
    public Iova? Cached32Node => ToIova(_cached32Node);

    internal IovaRangeTree Tree => _tree;

    /// <summary>The tree's node count above which it keeps subtree maxima (tests set 0 to search with them always).</summary>
    internal int TreeAugmentFrom
    {
        get => _tree.AugmentFrom;
        init => _tree.AugmentFrom = value;
    }

    private Iova? ToIova(int n) => n == Nil || n == _anchor ? null : new Iova(_tree.Lo(n), _tree.Hi(n));

    /// <summary>
    /// <c>alloc_iova</c>: allocates <paramref name="sizePfns"/> pages at or below
    /// <paramref name="limitPfnInclusive"/>, top-down first fit; with <paramref name="sizeAligned"/> the start
    /// is a multiple of roundup_pow_of_two(size). Null where Linux returns NULL (-ENOMEM).
    /// </summary>
    public Iova? AllocIova(ulong sizePfns, ulong limitPfnInclusive, bool sizeAligned)
    {
        // fls_long(size - 1) is undefined for size 0 and shifts the mask away above 2^63.
        if (sizePfns == 0 || sizePfns > 1UL << 63)
            throw new ArgumentOutOfRangeException(nameof(sizePfns), sizePfns, "size must be 1..2^63 pages");
        var n = Algorithm != IovaAlgorithm.Linux2632
            ? AllocModern(sizePfns, limitPfnInclusive, sizeAligned)
            : AllocLinux2632(sizePfns, limitPfnInclusive, sizeAligned);
        return n == Nil ? null : new Iova(_tree.Lo(n), _tree.Hi(n));
    }

    private static ulong AlignMask(ulong size, bool aligned) =>
        aligned ? ~0UL << (64 - BitOperations.LeadingZeroCount(size - 1)) : ~0UL;

    // __alloc_and_insert_iova_range (6.x). Linux walks rb_prev from the cached node and takes the first
    // gap whose highest aligned candidate clears the node below; retries once from the limit downwards
    // over the part above the cached node. Both passes are the "highest fitting gap" in a node range.
    private int AllocModern(ulong size, ulong limitPfnInclusive, bool aligned)
    {
        var limit = limitPfnInclusive + 1; // alloc_iova passes limit_pfn + 1 (wraps for ~0, as in C)
        var mask = AlignMask(size, aligned);
        if (HasMax32AllocSize && limit <= Dma32BitPfn && size >= Max32AllocSize) return Nil;

        var cached = limit <= Dma32BitPfn ? _cached32Node : _cachedNode;
        var retryPfn = _tree.Hi(cached);
        // With limit 0 every gap top is 0 < size: Linux fails both passes.
        var start = 0UL;
        var owner = limit != 0 ? FindHighestAtOrBelow(cached, limit, size, aligned, mask, out start) : Nil;
        if (owner == Nil && Algorithm == IovaAlgorithm.Modern && retryPfn < limit)
            owner = FindHighestAbove(_tree.Lo(cached), limit, size, aligned, mask, out start);
        if (owner == Nil)
        {
            // Set on every failure, even one above 4 GiB: later 32-bit requests this big fail fast.
            if (HasMax32AllocSize) Max32AllocSize = size;
            return Nil;
        }
        var n = _tree.InsertBelow(owner, start, start + size - 1);
        // __cached_rbnode_insert_update
        if (_tree.Hi(n) < Dma32BitPfn) _cached32Node = n;
        else _cachedNode = n;
        return n;
    }

    // The 2.6.32 loop (drivers/pci/iova.c __alloc_and_insert_iova_range with __get_cached_rbnode and
    // iova_get_pad_size): walk down from the last node, or from just below cached32_node when the limit is
    // exactly dma_32bit_pfn; first gap where limit - (size + pad) + 1 clears the node below wins.
    private int AllocLinux2632(ulong size, ulong limitPfnInclusive, bool aligned)
    {
        // alloc_iova rounded the size itself up, so the range is the whole power of two.
        if (aligned) size = BitOperations.RoundUpToPowerOf2(size);
        var mask = AlignMask(size, aligned);
        int owner;
        ulong start;
        if (limitPfnInclusive != Dma32BitPfn || _cached32Node == Nil)
        {
            // No usable pfn above ~0 - 1 here: the anchor owns ~0 (the old tree had no anchor).
            var top = limitPfnInclusive == ulong.MaxValue ? IovaAnchor : limitPfnInclusive + 1;
            owner = FindHighestAtOrBelow(_anchor, top, size, aligned, mask, out start);
        }
        else
        {
            owner = FindHighestAtOrBelow(_cached32Node, _tree.Lo(_cached32Node), size, aligned, mask, out start);
        }
        if (owner == Nil) return Nil;
        var n = _tree.InsertBelow(owner, start, start + size - 1);
        // __cached_rbnode_insert_update: only allocations made with exactly the 32-bit limit move the cache.
        if (limitPfnInclusive == Dma32BitPfn) _cached32Node = n;
        return n;
    }

    /// <summary>
    /// The node owning the highest gap, among <paramref name="from"/> and the nodes below it, that holds the
    /// request when every gap top is clamped to <paramref name="limit"/> (exclusive); Nil when none does.
    /// Only the lowest node starting at or above the limit has a gap the clamp shortens without emptying: it
    /// is checked by hand, the rest is a finger search upwards from the start node.
    /// </summary>
    private int FindHighestAtOrBelow(int from, ulong limit, ulong size, bool aligned, ulong mask, out ulong start)
    {
        start = 0;
        if (_tree.Lo(from) >= limit)
        {
            var z = LowestStartingAtOrAbove(limit); // at or below from, since from starts at or above the limit
            if (limit >= size && ((limit - size) & mask) >= _tree.GapLo(z))
            {
                start = (limit - size) & mask;
                return z;
            }
            from = _tree.Predecessor(z);
            if (from == Nil) return Nil;
        }
        var u = _tree.FindHighestFitAtOrBelow(from, size, aligned);
        if (u != Nil) start = (_tree.Lo(u) - size) & mask;
        return u;
    }

    /// <summary>
    /// The retry pass: the node owning the highest gap among the nodes starting above
    /// <paramref name="keyAbove"/>, gap tops clamped to <paramref name="limit"/>; Nil when none holds the request.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see IovaRangeTree.FindHighestFit
    private int FindHighestAbove(ulong keyAbove, ulong limit, ulong size, bool aligned, ulong mask, out ulong start)
    {
        start = 0;
        var z = LowestStartingAtOrAbove(limit);
        var zLo = _tree.Lo(z);
        if (zLo > keyAbove)
        {
            var top = Math.Min(limit, zLo);
            if (top >= size && ((top - size) & mask) >= _tree.GapLo(z))
            {
                start = (top - size) & mask;
                return z;
            }
        }
        if (zLo == 0) return Nil;
        var u = _tree.FindHighestFit(keyAbove, hasKeyAbove: true, zLo - 1, size, aligned);
        if (u != Nil) start = (_tree.Lo(u) - size) & mask;
        return u;
    }

    /// <summary>
    /// The lowest node starting at or above <paramref name="limit"/> (&gt; 0), whose gap the limit clamps. While
    /// every range ends below the limit (no allocation above 4 GiB yet) that is the anchor, known without a
    /// descent through nodes the last allocations did not touch (full32's failing call took ~20 misses there).
    /// </summary>
    private int LowestStartingAtOrAbove(ulong limit) =>
        _tree.GapLo(_anchor) <= limit ? _anchor : _tree.LowestStartingAbove(limit - 1);

    /// <summary><c>find_iova</c>: the live range containing <paramref name="pfn"/>, or null.</summary>
    public Iova? FindIova(ulong pfn) => ToIova(_tree.FindContaining(pfn));

    /// <summary><c>free_iova</c>: frees the range containing <paramref name="pfn"/>; does nothing when none does.</summary>
    public void FreeIova(ulong pfn)
    {
        var n = _tree.FindContaining(pfn);
        if (n != Nil && n != _anchor) Remove(n);
    }

    /// <summary><c>__free_iova</c>: frees exactly this live range.</summary>
    public void Free(Iova iova)
    {
        var n = _tree.FindContaining(iova.PfnLo);
        if (n == Nil || n == _anchor || _tree.Lo(n) != iova.PfnLo || _tree.Hi(n) != iova.PfnHi)
            throw new ArgumentException($"{iova} is not a live range of this domain", nameof(iova));
        Remove(n);
    }

    internal bool FreeByPfn(ulong pfn)
    {
        var n = _tree.FindContaining(pfn);
        if (n == Nil || n == _anchor) return false;
        Remove(n);
        return true;
    }

    // remove_iova → __cached_rbnode_delete_update, then rb_erase.
    private void Remove(int n)
    {
        var next = _tree.Successor(n);
        ulong lo = _tree.Lo(n), hi = _tree.Hi(n);
        if (Algorithm != IovaAlgorithm.Linux2632)
        {
            if (n == _cached32Node || (hi < Dma32BitPfn && lo >= _tree.Lo(_cached32Node)))
                _cached32Node = next;
            // A hole below 4 GiB: any 32-bit size might fit again.
            if (lo < Dma32BitPfn) Max32AllocSize = Dma32BitPfn;
            if (lo >= _tree.Lo(_cachedNode)) _cachedNode = next;
        }
        else if (_cached32Node != Nil && lo >= _tree.Lo(_cached32Node))
        {
            // 2.6.32: only cache nodes below the 32-bit pfn ("Dont cache iova above 32bit").
            _cached32Node = next != Nil && _tree.Lo(next) < Dma32BitPfn ? next : Nil;
        }
        _tree.Delete(n, next);
    }

    /// <summary>
    /// <c>reserve_iova</c>: keeps [pfnLo, pfnHi] out of allocation. Overlapping ranges absorb the request:
    /// the first one is extended down to <paramref name="pfnLo"/>, each later one down to the end of the
    /// previous, and what sticks out above the last becomes a new range (<c>__adjust_overlap_range</c>).
    /// Returns the range holding the top of the request, or null for pfns the granule cannot express.
    /// </summary>
    public Iova? ReserveIova(ulong pfnLo, ulong pfnHi)
    {
        if (pfnLo > pfnHi) throw new ArgumentException($"reserve [{pfnLo:x}, {pfnHi:x}] is empty", nameof(pfnLo));
        // Linux WARNs and returns NULL for pfns above what a 64-bit address can carry.
        if ((pfnHi | pfnLo) > (ulong.MaxValue >> _granuleShift)) return null;
        var overlap = false;
        // Nodes ending below pfnLo cannot overlap; Linux scans them from rb_first and skips them.
        for (var n = _tree.LowestEndingAtOrAbove(pfnLo); n != Nil && n != _anchor; n = _tree.Successor(n))
        {
            if (pfnLo <= _tree.Hi(n) && pfnHi >= _tree.Lo(n))
            {
                if (pfnLo < _tree.Lo(n)) _tree.SetLo(n, pfnLo);
                if (pfnHi > _tree.Hi(n)) pfnLo = _tree.Hi(n) + 1;
                if (pfnLo >= _tree.Lo(n) && pfnHi <= _tree.Hi(n)) return new Iova(_tree.Lo(n), _tree.Hi(n));
                overlap = true;
            }
            else if (overlap || _tree.Lo(n) > pfnHi)
            {
                break;
            }
        }
        // __insert_new_range leaves the cached nodes alone.
        var added = _tree.Insert(pfnLo, pfnHi);
        return new Iova(_tree.Lo(added), _tree.Hi(added));
    }

    /// <summary>All live ranges in ascending order (reserved and rcache-parked ones included).</summary>
    public IEnumerable<Iova> Ranges()
    {
        for (var n = _tree.First(); n != Nil && n != _anchor; n = _tree.Successor(n))
            yield return new Iova(_tree.Lo(n), _tree.Hi(n));
    }

    // The throw lives in its own method so the property stays small enough to inline on the cache-hit path.
    private IovaRangeCache Rcache => _rcache ?? NoRangeCache();

    private static IovaRangeCache NoRangeCache() =>
        throw new NotSupportedException("the 2.6.32 IOVA allocator has no range caches (alloc_iova_fast came in 4.7)");

    /// <summary>
    /// <c>alloc_iova_fast</c> on CPU <paramref name="cpu"/>: sizes below 32 pages are rounded up to a power of
    /// two and served from the per-CPU range cache when it holds a fitting range; otherwise
    /// <c>alloc_iova(size aligned)</c>; on failure with <paramref name="flushRcache"/>, every cached range goes
    /// back to the tree and the allocation is tried once more. Returns the first pfn, 0 on failure.
    /// </summary>
    public ulong AllocIovaFast(ulong size, ulong limitPfn, bool flushRcache, int cpu = 0) =>
        Rcache.Alloc(size, limitPfn, flushRcache, cpu);

    /// <summary><c>free_iova_fast</c> on CPU <paramref name="cpu"/>: parks the range in the range cache of its size order, or frees it to the tree.</summary>
    public void FreeIovaFast(ulong pfn, ulong size, int cpu = 0) => Rcache.Free(pfn, size, cpu);

    /// <summary><c>free_cpu_cached_iovas</c>: returns one CPU's cached ranges to the tree (CPU hot-unplug, flush).</summary>
    public void FreeCpuCachedIovas(int cpu) => Rcache.FreeCpu(cpu);

    /// <summary><c>free_global_cached_iovas</c>: returns every depot magazine's ranges to the tree.</summary>
    public void FreeGlobalCachedIovas() => Rcache.FreeDepots();

    /// <summary>
    /// One run of each order's <c>iova_depot_work_func</c> (scheduled IOVA_DEPOT_DELAY = 100 ms after a depot
    /// push): a depot holding more magazines than online CPUs gives one back to the tree. The caller owns
    /// simulated time and decides when that is. Returns how many magazines were released.
    /// </summary>
    public int ReclaimDepot() => Rcache.ReclaimDepots();

    /// <summary>Range-cache occupancy for tests and reports.</summary>
    public IovaRangeCacheStats RangeCacheStats(int order, int cpu = 0) => Rcache.Stats(order, cpu);
}
