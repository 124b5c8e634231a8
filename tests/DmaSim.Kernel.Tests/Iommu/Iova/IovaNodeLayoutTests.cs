using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// Guards issue 13.1's layout: a tree node is one 64-byte cache line and the store starts on a line, also
/// after it grows, so a descent costs one miss per level (the parallel arrays it replaced cost up to 11).
/// </summary>
public sealed class IovaNodeLayoutTests
{
    [Fact]
    public void A_node_is_one_cache_line()
    {
        Assert.Equal(64, IovaRangeTree.NodeBytes);
    }

    [Fact]
    public void Nodes_start_on_a_cache_line_before_and_after_the_store_grows()
    {
        var domain = new IovaDomain(4096, 1);
        Assert.True(domain.Tree.NodesStartOnACacheLine);
        for (var i = 0; i < 5000; i++) Assert.NotNull(domain.AllocIova(1, 0xfffff, true));
        Assert.True(domain.Tree.NodesStartOnACacheLine);
        domain.Tree.Validate();
    }
}
