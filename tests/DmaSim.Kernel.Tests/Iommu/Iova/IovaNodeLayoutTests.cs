using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// Guards issue 13.1's layout: a tree node is one 64-byte cache line and the store starts on a line, also
/// once it outgrows L1, so a descent costs one miss per level (the parallel arrays it replaced cost up to 11).
/// A small store is not pinned (one pinned allocation per domain cost 5 % of a sweep), so not aligned.
/// </summary>
public sealed class IovaNodeLayoutTests
{
    [Fact]
    public void A_node_is_one_cache_line()
    {
        Assert.Equal(64, IovaRangeTree.NodeBytes);
    }

    [Fact]
    public void Nodes_start_on_a_cache_line_once_the_store_outgrows_l1_and_after_it_grows_again()
    {
        var domain = new IovaDomain(4096, 1);
        for (var i = 0; i < 1100; i++) Assert.NotNull(domain.AllocIova(1, 0xfffff, true));
        Assert.True(domain.Tree.NodesStartOnACacheLine);
        for (var i = 0; i < 5000; i++) Assert.NotNull(domain.AllocIova(1, 0xfffff, true));
        Assert.True(domain.Tree.NodesStartOnACacheLine);
        domain.Tree.Validate();
    }
}
