using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// The rbtree allocator before 6.x has no retry pass (5.11). (max32_alloc_size, 5.1, only makes a failure
/// that would happen anyway happen sooner, so it changes no placement.) Each case fails if the era gets the other rule.
/// </summary>
public sealed class IovaLtsEraTests
{
    private const ulong Low = 0x100000; // dma_32bit_pfn: the first pfn at 4 GiB

    /// <summary>Everything below 4 GiB reserved, then a range high up and a run just above 4 GiB that leaves cached_node low.</summary>
    private static IovaDomain CachedNodeBelowFreeSpace(IovaAlgorithm algorithm)
    {
        var d = new IovaDomain(4096, 1, algorithm: algorithm);
        d.ReserveIova(1, Low);
        Assert.Equal(new IovaRange(Low + 0x10, Low + 0x10), d.AllocIova(1, Low + 0x10, true));
        // A lower limit starts from the cached node and fills downwards to the reserved block.
        for (var pfn = Low + 5; pfn > Low; pfn--) Assert.Equal(new IovaRange(pfn, pfn), d.AllocIova(1, Low + 5, true));
        return d;
    }

    [Theory]
    [InlineData(IovaAlgorithm.Linux419)]
    [InlineData(IovaAlgorithm.Linux51)]
    public void Before_5_11_a_search_below_the_cached_node_that_fails_is_not_retried_above_it(IovaAlgorithm era)
    {
        // pfns Low+6 … Low+0xf are free, but only above the cached node: the 4e89dce72521 case.
        Assert.Null(CachedNodeBelowFreeSpace(era).AllocIova(1, Low + 0x10, true));
    }

    [Fact]
    public void From_5_11_the_retry_pass_finds_the_space_above_the_cached_node()
    {
        Assert.Equal(new IovaRange(Low + 0xf, Low + 0xf), CachedNodeBelowFreeSpace(IovaAlgorithm.Modern).AllocIova(1, Low + 0x10, true));
    }
}
