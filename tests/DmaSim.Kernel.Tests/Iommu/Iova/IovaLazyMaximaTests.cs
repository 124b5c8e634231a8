using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// Guards the lazy upkeep of the tree's subtree maxima (issue 13): changes mark nodes instead of re-pulling
/// to the root, allocations that find their gap next to the cached node read no maxima, the marked set
/// stays bounded, and a search that needs the maxima still sees every change.
/// </summary>
public sealed class IovaLazyMaximaTests
{
    [Fact]
    public void Allocations_next_to_the_cached_node_leave_the_maxima_marked_not_re_pulled()
    {
        var domain = new IovaDomain(4096, 1) { TreeAugmentFrom = 0 };
        for (var i = 0; i < 1000; i++) Assert.NotNull(domain.AllocIova(1, 0xfffff, true));
        // Each allocation fills the gap of the node it was cached at: nothing read the maxima since the last
        // bounded clean, so some nodes are still marked.
        Assert.InRange(domain.Tree.MarkedNodes, 1, IovaRangeTree.MarkedBound);
        domain.Tree.Validate();
    }

    [Fact]
    public void The_marked_set_stays_bounded_through_a_long_run_of_changes()
    {
        var domain = new IovaDomain(4096, 1) { TreeAugmentFrom = 0 };
        var max = 0;
        for (var i = 0; i < 20_000; i++)
        {
            Assert.NotNull(domain.AllocIova(1 + (ulong)(i % 3), 0xfffff, true));
            if (i % 7 == 3) domain.FreeIova(domain.Ranges().First().PfnLo);
            max = Math.Max(max, domain.Tree.MarkedNodes);
        }
        Assert.InRange(max, 1, IovaRangeTree.MarkedBound);
        domain.Tree.Validate();
    }

    [Fact]
    public void A_small_tree_walks_a_large_one_keeps_maxima_and_a_shrunken_one_walks_again()
    {
        var domain = new IovaDomain(4096, 1);
        var naive = new NaiveLinuxIova(1, domain.Dma32BitPfn);
        var got = new List<IovaRange>();
        void Alloc(ulong size)
        {
            var r = domain.AllocIova(size, 0xfffff, true);
            Assert.Equal(naive.Alloc(size, 0xfffff, true), r is { } x ? (x.PfnLo, x.PfnHi) : null);
            got.Add(r!.Value);
        }
        void Free(int i)
        {
            domain.Free(got[i]);
            naive.Free(got[i].PfnLo);
        }
        // The anchor counts as a node: 1,023 ranges make 1,024 nodes, not above the threshold.
        for (var i = 0; i < IovaRangeTree.DefaultAugmentFrom - 1; i++) Alloc(1);
        Assert.False(domain.Tree.KeepsMaxima);
        for (var i = 0; i < 10; i++) Alloc(2);
        Assert.True(domain.Tree.KeepsMaxima);
        domain.Tree.Validate();
        // Free every other range: one-page holes.
        for (var i = 0; i < got.Count; i += 2) Free(i);
        Assert.True(domain.Tree.KeepsMaxima); // 517 nodes: not below half the threshold
        for (var i = 1; i < 200; i += 2) Free(i);
        Assert.False(domain.Tree.KeepsMaxima);
        Assert.Equal(0, domain.Tree.MarkedNodes);
        domain.Tree.Validate();
        for (var i = 0; i < 700; i++) Alloc(1 + (ulong)(i % 4));
        Assert.True(domain.Tree.KeepsMaxima);
        domain.Tree.Validate();
        Assert.Equal(naive.Ranges(), domain.Ranges().Select(r => (r.PfnLo, r.PfnHi)));
    }

    [Fact]
    public void A_search_that_needs_the_maxima_sees_a_hole_made_far_below_the_cached_node()
    {
        var domain = new IovaDomain(4096, 1) { TreeAugmentFrom = 0 };
        const ulong Limit = 0x3ff; // pfns 1..0x3ff: 1,023 single pages fill it
        var got = new List<IovaRange>();
        for (var i = 0; i < 1023; i++) got.Add(domain.AllocIova(1, Limit, true) ?? throw new InvalidOperationException("full early"));
        Assert.Null(domain.AllocIova(1, Limit, true));
        Assert.Equal(0, domain.Tree.MarkedNodes); // the failing search cleaned everything it read: the root
        // Free two far below the cached node (the last, lowest range) and one above it: the walk from the
        // cached node finds nothing nearby, the maxima must lead to the highest hole.
        domain.FreeIova(got[100].PfnLo);
        domain.FreeIova(got[900].PfnLo);
        var third = domain.AllocIova(2, Limit, false);
        Assert.Null(third); // no two adjacent free pages anywhere
        Assert.Equal(got[100], domain.AllocIova(1, Limit, true));
        Assert.Equal(got[900], domain.AllocIova(1, Limit, true));
        Assert.Null(domain.AllocIova(1, Limit, true));
        domain.Tree.Validate();
    }
}
