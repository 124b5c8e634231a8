using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>Each placement rule of Linux 6.x <c>iova.c</c> on its own (granule 4 KiB, start_pfn 1).</summary>
public sealed class IovaPlacementTests
{
    private const ulong Limit32 = 0xfffff;
    private const ulong Limit36 = 0xffffff;

    private static IovaDomain NewDomain() => new(4096, 1);

    [Fact]
    public void The_32bit_pfn_is_derived_from_the_granule()
    {
        Assert.Equal(0x100000UL, NewDomain().Dma32BitPfn);
        Assert.Equal(0x800000UL, new IovaDomain(512, 1).Dma32BitPfn);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IovaDomain(8192, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IovaDomain(3000, 1));
    }

    [Fact]
    public void A_size_aligned_range_starts_on_its_rounded_up_power_of_two_but_keeps_its_size()
    {
        var d = NewDomain();

        Assert.Equal(new IovaRange(0xffffc, 0xffffe), d.AllocIova(3, Limit32, sizeAligned: true));
        // Below 0xffffc the next 5-page range must start on a multiple of 8.
        Assert.Equal(new IovaRange(0xffff0, 0xffff4), d.AllocIova(5, Limit32, sizeAligned: true));
        // Without alignment the range sits right under the previous one.
        Assert.Equal(new IovaRange(0xfffed, 0xfffef), d.AllocIova(3, Limit32, sizeAligned: false));
    }

    [Fact]
    public void Allocation_is_top_down_below_the_inclusive_limit()
    {
        var d = NewDomain();

        Assert.Equal(new IovaRange(0xffffff, 0xffffff), d.AllocIova(1, Limit36, true));
        Assert.Equal(new IovaRange(0xfffff, 0xfffff), d.AllocIova(1, Limit32, true));
        Assert.Equal(new IovaRange(0x3ff, 0x3ff), d.AllocIova(1, 0x3ff, true));
    }

    [Fact]
    public void Pfn_zero_is_never_handed_out_below_start_pfn()
    {
        var d = NewDomain();

        Assert.Equal(new IovaRange(1, 1), d.AllocIova(1, 1, true));
        Assert.Null(d.AllocIova(1, 1, true));
        // Two pages aligned to 2 below pfn 2 would have to start at 0.
        Assert.Null(d.AllocIova(2, 2, true));
    }

    [Fact]
    public void Allocations_above_4GiB_move_cached_node_and_32bit_ones_move_cached32_node()
    {
        var d = NewDomain();

        var high = d.AllocIova(1, Limit36, true);
        Assert.Equal(high, d.CachedNode);
        Assert.Null(d.Cached32Node);

        var low = d.AllocIova(1, Limit32, true);
        Assert.Equal(low, d.Cached32Node);
        Assert.Equal(high, d.CachedNode);
    }

    [Fact]
    public void A_32bit_request_searches_below_cached32_node_first_then_retries_above_it()
    {
        var d = NewDomain();
        // A range straddling 4 GiB (only an unaligned one can) moves cached_node only, and freeing it
        // leaves cached32_node in place.
        var straddler = d.AllocIova(0x20, 0x10000f, sizeAligned: false)!.Value;
        Assert.Equal(new IovaRange(0xffff0, 0x10000f), straddler);
        var first = d.AllocIova(1, Limit32, true);
        Assert.Equal(new IovaRange(0xfffef, 0xfffef), first);
        d.Free(straddler);
        Assert.Equal(first, d.Cached32Node);

        // First pass: the hole 0xffff0..0xfffff above the cached node is not looked at.
        Assert.Equal(new IovaRange(0xfffee, 0xfffee), d.AllocIova(1, Limit32, true));

        // Nothing left below: the retry pass walks down from the limit to just above the cached node.
        d.ReserveIova(1, 0xfffed);
        Assert.Equal(new IovaRange(0xfffff, 0xfffff), d.AllocIova(1, Limit32, true));
    }

    [Fact]
    public void The_retry_pass_never_goes_below_the_cached_node()
    {
        var d = NewDomain();
        d.ReserveIova(1, 0xffffd);
        var a = d.AllocIova(1, Limit32, true); // 0xfffff
        var b = d.AllocIova(1, Limit32, true); // 0xffffe
        Assert.Equal(new IovaRange(0xffffe, 0xffffe), b);
        d.Free(a!.Value);                       // cached32 moves up to the anchor: the hole is found again
        Assert.Equal(a, d.AllocIova(1, Limit32, true));

        Assert.Null(d.AllocIova(1, Limit32, true));
    }

    [Fact]
    public void A_failure_records_max32_alloc_size_and_larger_32bit_requests_then_fail_at_once()
    {
        var d = NewDomain();

        // 0x80000 pages aligned to 0x80000 below pfn 0x80000 would start at 0 < start_pfn.
        Assert.Null(d.AllocIova(0x80000, 0x7ffff, true));
        Assert.Equal(0x80000UL, d.Max32AllocSize);

        // The same size below 4 GiB would fit at 0x80000, but the fast fail refuses it without a search.
        Assert.Null(d.AllocIova(0x80000, Limit32, true));
        Assert.Null(d.AllocIova(0x90000, Limit32, true));
        Assert.NotNull(d.AllocIova(0x7ffff, Limit32, true));
        // Requests above 4 GiB are not subject to it.
        Assert.Equal(new IovaRange(0xf80000, 0xffffff), d.AllocIova(0x80000, Limit36, true));
    }

    [Fact]
    public void Any_failure_sets_max32_even_one_with_a_64bit_limit()
    {
        var d = NewDomain();
        d.ReserveIova(1, 0xfffffe);

        Assert.Null(d.AllocIova(2, Limit36, true));

        Assert.Equal(2UL, d.Max32AllocSize);
        Assert.Null(d.AllocIova(2, Limit32, true));
    }

    [Fact]
    public void Freeing_below_4GiB_resets_max32_alloc_size()
    {
        var d = NewDomain();
        var low = d.AllocIova(1, Limit32, true)!.Value;
        Assert.Null(d.AllocIova(0x80000, 0x7ffff, true));

        d.Free(low);

        Assert.Equal(d.Dma32BitPfn, d.Max32AllocSize);
        Assert.Equal(new IovaRange(0x80000, 0xfffff), d.AllocIova(0x80000, Limit32, true));
    }

    [Fact]
    public void Freeing_the_cached_node_or_a_range_above_it_moves_the_cache_to_the_successor()
    {
        var d = NewDomain();
        var a = d.AllocIova(1, Limit32, true)!.Value; // 0xfffff
        var b = d.AllocIova(1, Limit32, true)!.Value; // 0xffffe
        var c = d.AllocIova(1, Limit32, true)!.Value; // 0xffffd
        Assert.Equal(c, d.Cached32Node);

        d.Free(b); // above the cached node, below 4 GiB
        Assert.Equal(a, d.Cached32Node);

        var again = d.AllocIova(1, Limit32, true)!.Value; // the hole b left, just below the cached node
        Assert.Equal(b, again);
        d.Free(again);
        d.Free(c); // below the cached node: no move
        Assert.Equal(a, d.Cached32Node);
        d.Free(a); // the cached node itself: successor is the anchor
        Assert.Null(d.Cached32Node);
    }

    [Fact]
    public void Freeing_at_or_above_cached_node_moves_it_and_frees_below_do_not()
    {
        var d = NewDomain();
        var top = d.AllocIova(1, Limit36, true)!.Value;
        var mid = d.AllocIova(1, Limit36, true)!.Value;
        var bottom = d.AllocIova(1, Limit36, true)!.Value;
        Assert.Equal(bottom, d.CachedNode);

        d.Free(mid);
        Assert.Equal(top, d.CachedNode);
        d.Free(bottom);
        Assert.Equal(top, d.CachedNode);
    }

    [Fact]
    public void Reserve_merges_overlaps_by_growing_existing_ranges_and_adding_the_rest()
    {
        var d = NewDomain();
        d.ReserveIova(0x100, 0x1ff);

        // The first overlapped range grows down to 0x80; what sticks out above it becomes a new range.
        Assert.Equal(new IovaRange(0x200, 0x27f), d.ReserveIova(0x80, 0x27f));
        Assert.Equal([new IovaRange(0x80, 0x1ff), new IovaRange(0x200, 0x27f)], d.Ranges());

        // A request inside an existing range returns it unchanged.
        Assert.Equal(new IovaRange(0x80, 0x1ff), d.ReserveIova(0x90, 0xa0));
        // Spanning both plus a gap between ranges: the later range absorbs the gap before it.
        d.ReserveIova(0x300, 0x30f);
        Assert.Equal(new IovaRange(0x280, 0x30f), d.ReserveIova(0x250, 0x308));
        Assert.Equal([new IovaRange(0x80, 0x1ff), new IovaRange(0x200, 0x27f), new IovaRange(0x280, 0x30f)], d.Ranges());
    }

    [Fact]
    public void Reserve_refuses_pfns_beyond_64bit_addresses_and_does_not_move_the_caches()
    {
        var d = NewDomain();
        Assert.Null(d.ReserveIova(1, 1UL << 53));

        d.ReserveIova(0xfee00, 0xfeeff); // the IOAPIC/MSI window
        Assert.Null(d.Cached32Node);
        Assert.Equal(new IovaRange(0xfed00, 0xfedff), d.AllocIova(0x100, 0xfeeff, true));
    }

    [Fact]
    public void Find_and_free_by_any_pfn_inside_a_range()
    {
        var d = NewDomain();
        var r = d.AllocIova(16, Limit32, true)!.Value;

        Assert.Equal(r, d.FindIova(r.PfnLo + 7));
        Assert.Null(d.FindIova(r.PfnLo - 1));
        Assert.Null(d.FindIova(IovaDomain.IovaAnchor));

        d.FreeIova(r.PfnHi);
        Assert.Equal(0, d.Count);
        d.FreeIova(r.PfnHi); // nothing there: ignored like Linux
        Assert.Throws<ArgumentException>(() => d.Free(r));
    }

    [Fact]
    public void A_zero_page_request_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NewDomain().AllocIova(0, Limit32, true));
    }
}
