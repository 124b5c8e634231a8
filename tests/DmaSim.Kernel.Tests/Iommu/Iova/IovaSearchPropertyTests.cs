using CsCheck;
using DmaSim.Kernel.Iommu.Iova;
using IovaRange = DmaSim.Kernel.Iommu.Iova.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>The O(log n) search against the kernel's linear walk (<see cref="NaiveLinuxIova"/>) on random histories.</summary>
public sealed class IovaSearchPropertyTests
{
    private static readonly ulong[] _limits = [0xfffff, 0xffffff, 0x7ffff, 0x100000, 0x10ffff, 0xfffff0, 0x3ffff, 0xffffffffff];

    private static readonly Gen<(int Kind, ulong A, int B, bool C)> _op =
        Gen.Select(Gen.Int[0, 99], Gen.ULong, Gen.Int[0, 4], Gen.Bool);

    private static ulong Size(ulong a, int sizeClass) => sizeClass switch
    {
        0 => a % 8 + 1,
        1 => a % 64 + 1,
        2 => 1UL << (int)(a % 19),
        3 => a % 0x40000 + 1,
        _ => a % 3 + 1,
    };

    // _limits from the list, or anywhere up to just above 4 GiB so they often fall below the cached nodes
    // (the finger search then starts at the lowest node at or above the limit).
    private static ulong Limit(ulong a) => (a >> 36) % 3 == 0
        ? (a >> 8) % 0x110000
        : _limits[(int)((a >> 40) % (ulong)_limits.Length)];

    // augmentFrom 0: the tree searches with its subtree maxima from the first node; 1,024 (the default): these
    // histories stay walk-only; 64: they cross the threshold both ways.
    [Theory]
    [InlineData(IovaAlgorithm.Modern, 0)]
    [InlineData(IovaAlgorithm.Linux51, 0)]
    [InlineData(IovaAlgorithm.Linux419, 0)]
    [InlineData(IovaAlgorithm.Modern, 1024)]
    [InlineData(IovaAlgorithm.Linux51, 1024)]
    [InlineData(IovaAlgorithm.Linux419, 1024)]
    [InlineData(IovaAlgorithm.Modern, 64)]
    public void Fast_search_places_every_range_where_the_linear_walk_does(IovaAlgorithm era, int augmentFrom)
    {
        _op.Array[1, 500].Sample(ops =>
        {
            var fast = new IovaDomain(4096, 1, algorithm: era) { TreeAugmentFrom = augmentFrom };
            var naive = new NaiveLinuxIova(1, fast.Dma32BitPfn, era);
            var live = new List<IovaRange>();
            var step = 0;
            foreach (var (kind, a, b, c) in ops)
            {
                step++;
                if (kind < 55 || live.Count == 0)
                {
                    var size = Size(a, b);
                    var limit = Limit(a);
                    var aligned = c || kind % 4 != 0;
                    var got = fast.AllocIova(size, limit, aligned);
                    var want = naive.Alloc(size, limit, aligned);
                    Assert.Equal(want, got is { } g ? (g.PfnLo, g.PfnHi) : null);
                    if (got is { } added) live.Add(added);
                }
                else if (kind < 90)
                {
                    var victim = live[(int)(a % (ulong)live.Count)];
                    live.Remove(victim);
                    fast.Free(victim);
                    naive.Free(victim.PfnLo);
                }
                else if (kind < 95)
                {
                    var victim = live[(int)(a % (ulong)live.Count)];
                    live.Remove(victim);
                    fast.FreeIova(victim.PfnLo + a % victim.Size);
                    naive.Free(victim.PfnLo);
                }
                else
                {
                    var lo = a % 0x110000;
                    var hi = lo + (a >> 32) % 0x1000;
                    var got = fast.ReserveIova(lo, hi);
                    Assert.Equal(naive.Reserve(lo, hi), got is { } g ? (g.PfnLo, g.PfnHi) : ((ulong, ulong)?)null);
                    // Reserved ranges are never freed here: drop live ranges a reservation may have absorbed.
                    live.RemoveAll(r => fast.FindIova(r.PfnLo) != r);
                }
                Assert.Equal(naive.Max32, fast.Max32AllocSize);
                Assert.Equal(naive.CachedLo, fast.CachedNode?.PfnLo);
                Assert.Equal(naive.Cached32Lo, fast.Cached32Node?.PfnLo);
                Assert.Equal(naive.Count, fast.Count);
                if (step % 50 == 0) fast.Tree.Validate();
            }
            fast.Tree.Validate();
            Assert.Equal(naive.Ranges(), fast.Ranges().Select(r => (r.PfnLo, r.PfnHi)));
        }, iter: 1000);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1024)]
    public void The_2632_variant_places_every_range_where_the_2009_walk_does(int augmentFrom)
    {
        _op.Array[1, 400].Sample(ops =>
        {
            var fast = new IovaDomain(4096, 1, algorithm: IovaAlgorithm.Linux2632) { TreeAugmentFrom = augmentFrom };
            var naive = new NaiveLinux2632Iova(fast.Dma32BitPfn);
            var live = new List<IovaRange>();
            foreach (var (kind, a, b, c) in ops)
            {
                if (kind < 60 || live.Count == 0)
                {
                    var size = Size(a, b);
                    // The old code treats exactly dma_32bit_pfn specially; offer it often.
                    var limit = (a >> 40) % 3 == 0 ? fast.Dma32BitPfn : _limits[(int)((a >> 40) % (ulong)_limits.Length)];
                    var got = fast.AllocIova(size, limit, c || kind % 4 != 0);
                    var want = naive.Alloc(size, limit, c || kind % 4 != 0);
                    Assert.Equal(want, got is { } g ? (g.PfnLo, g.PfnHi) : null);
                    if (got is { } added) live.Add(added);
                }
                else
                {
                    var victim = live[(int)(a % (ulong)live.Count)];
                    live.Remove(victim);
                    fast.Free(victim);
                    naive.Free(victim.PfnLo);
                }
                Assert.Equal(naive.Cached32Lo, fast.Cached32Node?.PfnLo);
            }
            fast.Tree.Validate();
            Assert.Equal(naive.Ranges(), fast.Ranges().Select(r => (r.PfnLo, r.PfnHi)));
        }, iter: 1000);
    }

    [Fact]
    public void Max_aligned_fit_agrees_with_trying_every_size()
    {
        Gen.Select(Gen.ULong[0, 5000], Gen.ULong[0, 600]).Sample((a, length) =>
        {
            var b = a + length;
            ulong best = 0;
            for (ulong s = 1; s <= length; s++)
            {
                var align = System.Numerics.BitOperations.RoundUpToPowerOf2(s);
                var start = (b - s) & ~(align - 1);
                if (b >= s && start >= a) best = s;
            }
            Assert.Equal(best, IovaRangeTree.MaxAlignedFit(a, b));
        }, iter: 2000);
    }
}
