using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>The 2009 allocator intel-iommu used in 2.6.32 (old drivers/pci/iova.c).</summary>
public sealed class IovaLinux2632Tests
{
    private const ulong Limit32 = 0xfffff; // IOVA_PFN(DMA_BIT_MASK(32)), what intel-iommu passed

    private static IovaDomain NewDomain() => new(4096, 1, algorithm: IovaAlgorithm.Linux2632);

    [Fact]
    public void The_32bit_limit_is_inclusive_and_size_aligned_requests_take_the_whole_power_of_two()
    {
        var d = NewDomain();

        Assert.Equal(Limit32, d.Dma32BitPfn);
        Assert.Equal(new IovaRange(0xffffc, 0xfffff), d.AllocIova(3, Limit32, sizeAligned: true));
        Assert.Equal(new IovaRange(0xffff9, 0xffffb), d.AllocIova(3, Limit32, sizeAligned: false));
    }

    [Fact]
    public void The_lowest_range_starts_above_IOVA_START_PFN()
    {
        var d = NewDomain();

        Assert.Equal(new IovaRange(2, 2), d.AllocIova(1, 2, true));
        Assert.Null(d.AllocIova(1, 2, true));
    }

    [Fact]
    public void Only_allocations_with_exactly_the_32bit_limit_use_and_move_cached32_node()
    {
        var d = NewDomain();
        var first = d.AllocIova(1, Limit32, true);
        Assert.Equal(first, d.Cached32Node);

        // A 64-bit mask starts from the last node and leaves the cache alone.
        Assert.Equal(new IovaRange(0xffffff, 0xffffff), d.AllocIova(1, 0xffffff, true));
        Assert.Equal(first, d.Cached32Node);
        // So does a smaller limit.
        Assert.Equal(new IovaRange(0x7ffff, 0x7ffff), d.AllocIova(1, 0x7ffff, true));
        Assert.Equal(first, d.Cached32Node);
    }

    [Fact]
    public void Alignment_padding_above_the_cached_node_is_never_revisited_there_is_no_retry()
    {
        var old = NewDomain();
        var modern = new IovaDomain(4096, 1);
        foreach (var d in new[] { old, modern })
        {
            d.AllocIova(1, Limit32, true);                       // 0xfffff
            Assert.Equal(new IovaRange(0xffff8, 0xffffb), d.AllocIova(4, Limit32, true)); // pads 0xffffc..0xffffe
            d.ReserveIova(1, 0xffff7);
        }

        Assert.Null(old.AllocIova(1, Limit32, true));
        Assert.Equal(new IovaRange(0xffffe, 0xffffe), modern.AllocIova(1, Limit32, true));
    }

    [Fact]
    public void Freeing_at_or_above_the_cached_node_caches_its_successor_only_below_the_inclusive_32bit_pfn()
    {
        var d = NewDomain();
        d.AllocIova(1, Limit32, true);                 // 0xfffff: not below dma_32bit_pfn (0xfffff)
        var a = d.AllocIova(1, Limit32, true)!.Value; // 0xffffe
        var b = d.AllocIova(1, Limit32, true)!.Value; // 0xffffd
        var c = d.AllocIova(1, Limit32, true)!.Value; // 0xffffc

        d.Free(b);
        Assert.Equal(a, d.Cached32Node);
        d.Free(c);                                     // below the cache: unchanged
        Assert.Equal(a, d.Cached32Node);
        d.Free(a);                                     // successor starts at the 32-bit pfn itself: cache cleared
        Assert.Null(d.Cached32Node);
    }
}
