using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>alloc_iova_fast / free_iova_fast: per-CPU magazines, depot, flush-and-retry.</summary>
public sealed class IovaRangeCacheTests
{
    private const ulong Limit32 = 0xfffff;
    private const ulong Limit36 = 0xffffff;
    private const int Mag = 127;

    [Fact]
    public void A_freed_range_stays_allocated_in_the_cache_and_is_handed_out_again_last_in_first_out()
    {
        var d = new IovaDomain(4096, 1);
        var a = d.AllocIovaFast(1, Limit32, false);
        var b = d.AllocIovaFast(1, Limit32, false);

        d.FreeIovaFast(a, 1);
        d.FreeIovaFast(b, 1);

        Assert.Equal(2, d.Count);
        Assert.Equal(new IovaRangeCacheStats(2, 0, 0), d.RangeCacheStats(0));
        Assert.Equal(b, d.AllocIovaFast(1, Limit32, false));
        Assert.Equal(a, d.AllocIovaFast(1, Limit32, false));
    }

    [Fact]
    public void Sizes_below_32_pages_are_rounded_to_a_power_of_two_and_cached_by_order()
    {
        var d = new IovaDomain(4096, 1);

        var pfn = d.AllocIovaFast(3, Limit32, false);
        Assert.Equal(new IovaRange(0xffffc, 0xfffff), d.FindIova(pfn));

        d.FreeIovaFast(pfn, 3); // order_base_2(3) = 2, the order the rounded range was allocated with
        Assert.Equal(1, d.RangeCacheStats(2).Loaded);
        Assert.Equal(pfn, d.AllocIovaFast(4, Limit32, false));
    }

    [Fact]
    public void Sizes_from_33_pages_are_neither_rounded_nor_cached()
    {
        var d = new IovaDomain(4096, 1);

        var pfn = d.AllocIovaFast(33, Limit32, false);
        Assert.Equal(new IovaRange(0xfffc0, 0xfffe0), d.FindIova(pfn));

        d.FreeIovaFast(pfn, 33);
        Assert.Equal(0, d.Count);
    }

    [Fact]
    public void A_full_loaded_magazine_swaps_with_prev_and_then_goes_to_the_depot()
    {
        var d = new IovaDomain(4096, 1);
        var pfns = Enumerable.Range(0, 300).Select(_ => d.AllocIova(1, Limit36, true)!.Value.PfnLo).ToList();

        foreach (var pfn in pfns.Take(Mag)) d.FreeIovaFast(pfn, 1);
        Assert.Equal(new IovaRangeCacheStats(Mag, 0, 0), d.RangeCacheStats(0));
        d.FreeIovaFast(pfns[Mag], 1);
        Assert.Equal(new IovaRangeCacheStats(1, Mag, 0), d.RangeCacheStats(0));
        foreach (var pfn in pfns.Skip(Mag + 1).Take(Mag - 1)) d.FreeIovaFast(pfn, 1);
        Assert.Equal(new IovaRangeCacheStats(Mag, Mag, 0), d.RangeCacheStats(0));
        d.FreeIovaFast(pfns[2 * Mag], 1);
        Assert.Equal(new IovaRangeCacheStats(1, Mag, 1), d.RangeCacheStats(0));

        Assert.Equal(300, d.Count); // every cached range is still allocated
    }

    [Fact]
    public void Allocation_drains_loaded_then_prev_then_takes_a_depot_magazine()
    {
        var d = new IovaDomain(4096, 1, cpuCount: 2);
        var pfns = Enumerable.Range(0, 2 * Mag + 1).Select(_ => d.AllocIova(1, Limit36, true)!.Value.PfnLo).ToList();
        foreach (var pfn in pfns) d.FreeIovaFast(pfn, 1);

        // CPU 1 has empty magazines and takes the depot's: the second magazine CPU 0 filled.
        Assert.Equal(pfns[2 * Mag - 1], d.AllocIovaFast(1, Limit36, false, cpu: 1));
        Assert.Equal(new IovaRangeCacheStats(Mag - 1, 0, 0), d.RangeCacheStats(0, cpu: 1));

        Assert.Equal(pfns[2 * Mag], d.AllocIovaFast(1, Limit36, false, cpu: 0));
        // Loaded is now empty: prev (the first magazine) is swapped in.
        Assert.Equal(pfns[Mag - 1], d.AllocIovaFast(1, Limit36, false, cpu: 0));
        Assert.Equal(new IovaRangeCacheStats(Mag - 1, 0, 0), d.RangeCacheStats(0, cpu: 0));
    }

    [Fact]
    public void A_cached_range_above_the_limit_is_skipped_and_the_tree_serves_the_request()
    {
        var d = new IovaDomain(4096, 1);
        var high = d.AllocIovaFast(1, Limit36, false);
        d.FreeIovaFast(high, 1);

        Assert.Equal(0xfffffUL, d.AllocIovaFast(1, Limit32, false));
        Assert.Equal(1, d.RangeCacheStats(0).Loaded);
        Assert.Equal(high, d.AllocIovaFast(1, Limit36, false));
    }

    [Fact]
    public void A_failed_allocation_with_flush_returns_every_cpus_cache_to_the_tree_and_retries()
    {
        var d = new IovaDomain(4096, 1, cpuCount: 2);
        d.ReserveIova(1, 0xffff7); // 8 free pages below 4 GiB
        var singles = Enumerable.Range(0, 8).Select(_ => d.AllocIovaFast(1, Limit32, false, cpu: 1)).ToList();
        foreach (var pfn in singles) d.FreeIovaFast(pfn, 1, cpu: 1);

        Assert.Equal(0UL, d.AllocIovaFast(2, Limit32, flushRcache: false, cpu: 0));
        Assert.Equal(8, d.RangeCacheStats(0, cpu: 1).Loaded);

        Assert.Equal(0xffffeUL, d.AllocIovaFast(2, Limit32, flushRcache: true, cpu: 0));
        Assert.Equal(0, d.RangeCacheStats(0, cpu: 1).Loaded);
    }

    [Fact]
    public void Flushing_also_empties_the_depot()
    {
        var d = new IovaDomain(4096, 1, cpuCount: 1);
        var pfns = Enumerable.Range(0, 2 * Mag + 1).Select(_ => d.AllocIova(1, Limit36, true)!.Value.PfnLo).ToList();
        foreach (var pfn in pfns) d.FreeIovaFast(pfn, 1);

        d.FreeGlobalCachedIovas();
        Assert.Equal(new IovaRangeCacheStats(1, Mag, 0), d.RangeCacheStats(0));
        Assert.Equal(Mag + 1, d.Count);
        d.FreeCpuCachedIovas(0);
        Assert.Equal(0, d.Count);
    }

    [Fact]
    public void Depot_reclaim_gives_back_one_magazine_while_the_depot_holds_more_than_one_per_cpu()
    {
        var d = new IovaDomain(4096, 1, cpuCount: 2);
        var pfns = Enumerable.Range(0, 2 * Mag + 2 * Mag + 1).Select(_ => d.AllocIova(1, Limit36, true)!.Value.PfnLo).ToList();
        foreach (var pfn in pfns) d.FreeIovaFast(pfn, 1);
        Assert.Equal(3, d.RangeCacheStats(0).DepotMagazines);

        Assert.Equal(1, d.ReclaimDepot());
        Assert.Equal(pfns.Count - Mag, d.Count);
        Assert.Equal(0, d.ReclaimDepot()); // two magazines for two CPUs stay
    }

    [Fact]
    public void The_2632_allocator_has_no_range_caches()
    {
        var d = new IovaDomain(4096, 1, algorithm: IovaAlgorithm.Linux2632);

        Assert.Throws<NotSupportedException>(() => d.AllocIovaFast(1, Limit32, false));
    }
}
