using System.Numerics;
using System.Runtime.CompilerServices;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>How full one order's range cache is on one CPU, plus its shared depot.</summary>
/// <param name="Loaded">Ranges in the CPU's loaded magazine.</param>
/// <param name="Prev">Ranges in the CPU's previous magazine.</param>
/// <param name="DepotMagazines">Full magazines in the order's depot.</param>
public readonly record struct IovaRangeCacheStats(int Loaded, int Prev, int DepotMagazines);

/// <summary>
/// The per-CPU IOVA range caches of Linux <c>drivers/iommu/iova.c</c> (6.x): for each size order below
/// <see cref="RangeCacheMaxOrder"/>, every CPU has a loaded and a previous magazine of
/// <see cref="MagazineSize"/> pfns, and the order has a LIFO depot of full magazines. Ranges parked here
/// stay allocated in the tree; only flushing or depot reclaim frees them.
/// </summary>
/// <remarks>
/// Magazines are allocated with GFP_ATOMIC in Linux and can fail; the model's never do, so a free never
/// falls back to the tree because of memory pressure.
/// </remarks>
internal sealed class IovaRangeCache
{
    /// <summary>IOVA_MAG_SIZE: 127 pfns plus the size word make a 1 KiB magazine.</summary>
    public const int MagazineSize = 127;

    /// <summary>IOVA_RANGE_CACHE_MAX_SIZE: orders 0..5 (1..32 pages) are cached.</summary>
    public const int RangeCacheMaxOrder = 6;

    private readonly IovaDomain _domain;
    private readonly int _cpuCount;
    // Indexed [cpu * RangeCacheMaxOrder + order]: one bounds check per access instead of a 2-D array's two.
    private readonly Magazine[] _loaded;
    private readonly Magazine[] _prev;
    private readonly Stack<Magazine>[] _depot = new Stack<Magazine>[RangeCacheMaxOrder];
    private readonly Stack<Magazine> _spare = new(); // empty magazines for reuse (any order)

    public IovaRangeCache(IovaDomain domain, int cpuCount)
    {
        _domain = domain;
        _cpuCount = cpuCount;
        _loaded = new Magazine[RangeCacheMaxOrder * cpuCount];
        _prev = new Magazine[RangeCacheMaxOrder * cpuCount];
        for (var i = 0; i < _loaded.Length; i++)
        {
            _loaded[i] = new Magazine();
            _prev[i] = new Magazine();
        }
        for (var order = 0; order < RangeCacheMaxOrder; order++) _depot[order] = new Stack<Magazine>();
    }

    private int CpuCount => _cpuCount;

    private static int Slot(int order, int cpu) => cpu * RangeCacheMaxOrder + order;

    // order_base_2: ceil(log2(size)), 0 for size 1.
    // The small helpers of the hit path are marked for inlining: dmasim runs without dynamic PGO
    // (DmaSim.Cli.csproj), and without it the JIT left each one a call (issue 13: cache-hit pair).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OrderBase2(ulong size) => size <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount(size - 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckCpu(int cpu) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)cpu, (uint)CpuCount, nameof(cpu));

    // alloc_iova_fast
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Alloc(ulong size, ulong limitPfn, bool flushRcache, int cpu)
    {
        CheckCpu(cpu);
        ArgumentOutOfRangeException.ThrowIfZero(size);
        // A cached range must come back with the same order it left with, so cacheable sizes are rounded.
        if (size < 1UL << (RangeCacheMaxOrder - 1)) size = BitOperations.RoundUpToPowerOf2(size);

        var pfn = Get(size, limitPfn + 1, cpu);
        return pfn != 0 ? pfn : AllocFromTree(size, limitPfn, flushRcache);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong AllocFromTree(ulong size, ulong limitPfn, bool flushRcache)
    {
        while (true)
        {
            var iova = _domain.AllocIova(size, limitPfn, sizeAligned: true);
            if (iova is { } got) return got.PfnLo;
            if (!flushRcache) return 0;
            // The only reclaim on the allocation path: every CPU's magazines, then (5.11+, 6fa3525b455a
            // "iommu/iova: Free global iova rcache on iova alloc failure") the depots.
            flushRcache = false;
            for (var c = 0; c < CpuCount; c++) FreeCpu(c);
            if (_domain.Algorithm == IovaAlgorithm.Modern) FreeDepots();
        }
    }

    // iova_rcache_get / __iova_rcache_get
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Get(ulong size, ulong limitPfnExclusive, int cpu)
    {
        var order = OrderBase2(size);
        if (order >= RangeCacheMaxOrder) return 0;
        var slot = Slot(order, cpu);
        var loaded = _loaded[slot];
        return loaded.Size != 0 ? loaded.Pop(limitPfnExclusive - size) : GetAfterReload(slot, order, limitPfnExclusive - size);
    }

    // The loaded magazine is empty: swap in the previous one, or a full one from the depot.
    private ulong GetAfterReload(int slot, int order, ulong highestStart)
    {
        ref var loaded = ref _loaded[slot];
        if (_prev[slot].Size != 0)
        {
            (loaded, _prev[slot]) = (_prev[slot], loaded);
        }
        else if (_depot[order].Count != 0)
        {
            // The empty loaded magazine is freed and a full one from the depot takes its place. The
            // simulator keeps the empty one for the next iova_magazine_alloc: same behaviour, and a
            // lazy flush-queue cycle allocates nothing in steady state (issue 13).
            _spare.Push(loaded);
            loaded = _depot[order].Pop();
        }
        else
        {
            return 0;
        }
        return loaded.Pop(highestStart);
    }

    // free_iova_fast → iova_rcache_insert, else free_iova
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Free(ulong pfn, ulong size, int cpu)
    {
        CheckCpu(cpu);
        if (!Insert(pfn, size, cpu)) _domain.FreeByPfn(pfn);
    }

    // iova_rcache_insert / __iova_rcache_insert
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Insert(ulong pfn, ulong size, int cpu)
    {
        var order = OrderBase2(size);
        if (order >= RangeCacheMaxOrder) return false;
        var slot = Slot(order, cpu);
        var loaded = _loaded[slot];
        if (loaded.IsFull) loaded = MakeRoom(slot, order);
        loaded.Push(pfn);
        return true;
    }

    // The loaded magazine is full: swap with the previous one, or push it to the depot and load an empty one.
    private Magazine MakeRoom(int slot, int order)
    {
        ref var loaded = ref _loaded[slot];
        if (!_prev[slot].IsFull)
        {
            (loaded, _prev[slot]) = (_prev[slot], loaded);
        }
        else
        {
            // Linux schedules the depot worker here; the owner of simulated time calls ReclaimDepots.
            _depot[order].Push(loaded);
            loaded = _spare.Count != 0 ? _spare.Pop() : new Magazine();
        }
        return loaded;
    }

    // free_cpu_cached_iovas: loaded then prev, order by order.
    public void FreeCpu(int cpu)
    {
        CheckCpu(cpu);
        for (var order = 0; order < RangeCacheMaxOrder; order++)
        {
            FreePfns(_loaded[Slot(order, cpu)]);
            FreePfns(_prev[Slot(order, cpu)]);
        }
    }

    // free_global_cached_iovas
    public void FreeDepots()
    {
        for (var order = 0; order < RangeCacheMaxOrder; order++)
            while (_depot[order].Count != 0) FreePfns(_depot[order].Pop());
    }

    // iova_depot_work_func, once per order.
    public int ReclaimDepots()
    {
        var released = 0;
        for (var order = 0; order < RangeCacheMaxOrder; order++)
        {
            if (_depot[order].Count <= CpuCount) continue;
            FreePfns(_depot[order].Pop());
            released++;
        }
        return released;
    }

    // iova_magazine_free_pfns: in slot order, each through the tree's free path (cached-node rules apply).
    private void FreePfns(Magazine magazine)
    {
        for (var i = 0; i < magazine.Size; i++) _domain.FreeByPfn(magazine.Pfns[i]);
        magazine.Size = 0;
    }

    public IovaRangeCacheStats Stats(int order, int cpu)
    {
        CheckCpu(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)order, (uint)RangeCacheMaxOrder, nameof(order));
        return new IovaRangeCacheStats(_loaded[Slot(order, cpu)].Size, _prev[Slot(order, cpu)].Size, _depot[order].Count);
    }

    private sealed class Magazine
    {
        public readonly ulong[] Pfns = new ulong[MagazineSize];
        public int Size;

        public bool IsFull => Size == MagazineSize;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Push(ulong pfn) => Pfns[Size++] = pfn;

        // iova_magazine_pop: the topmost pfn whose range ends at or below the limit, swapped out with the
        // last slot; 0 (a miss) when none fits. The top one fitting (every hit of a one-size workload)
        // is taken inline.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Pop(ulong highestStart)
        {
            var i = Size - 1;
            var pfns = Pfns;
            if ((uint)i < (uint)pfns.Length && pfns[i] <= highestStart)
            {
                Size = i;
                return pfns[i];
            }
            return PopBelowTop(highestStart);
        }

        private ulong PopBelowTop(ulong highestStart)
        {
            var i = Size - 1;
            while (Pfns[i] > highestStart)
            {
                if (i == 0) return 0;
                i--;
            }
            var pfn = Pfns[i];
            Pfns[i] = Pfns[--Size];
            return pfn;
        }
    }
}
