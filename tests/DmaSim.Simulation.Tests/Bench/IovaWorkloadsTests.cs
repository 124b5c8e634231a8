using DmaSim.Simulation.Bench;

namespace DmaSim.Simulation.Tests.Bench;

/// <summary>
/// The IOVA workloads as docs/performance.md defines them (generator, defaults, option checks, what each
/// repetition reports). No timing asserts: only counts, shapes and the generator's exact values.
/// </summary>
public sealed class IovaWorkloadsTests
{
    [Fact]
    public void Xorshift64_steps_as_the_definition_says()
    {
        var x = 0xC0FFEEUL;
        Assert.Equal(0x305e1ea4214591UL, IovaWorkloads.Next(ref x));
        Assert.Equal(0xd0fb1e9b3f3e435aUL, IovaWorkloads.Next(ref x));
        Assert.Equal(0xe15234f95c03a95cUL, IovaWorkloads.Next(ref x));
        var tree = new IovaBenchOptions { Workload = IovaWorkload.Tree }.InitialState;
        Assert.Equal(0x9E37_79B9_7F4A_7C15UL ^ 256, tree);
        Assert.Equal(8UL, 1 + IovaWorkloads.Next(ref tree) % 8); // the first tree range has 8 pages
    }

    [Theory]
    [InlineData(IovaWorkload.CacheHit, 1_000_000L, 0xC0FFEEUL)]
    [InlineData(IovaWorkload.Tree, 200_000L, 0x9E37_79B9_7F4A_7C15UL)]
    [InlineData(IovaWorkload.Churn, 1_000L, 0xC0FFEEUL)]
    public void Defaults_follow_the_definitions(IovaWorkload w, long ops, ulong seed)
    {
        var o = new IovaBenchOptions { Workload = w };
        Assert.Equal(ops, o.EffectiveOps);
        if (w != IovaWorkload.CacheHit) Assert.Equal(seed, o.EffectiveSeed);
        Assert.Equal(w == IovaWorkload.Churn ? 300_000 : 256, o.EffectiveLive);
        Assert.Null(o.Problem());
    }

    [Theory]
    [InlineData(IovaWorkload.Tree, 0, null, null, 5, "--live")]
    [InlineData(IovaWorkload.Tree, null, 0L, null, 5, "--ops")]
    [InlineData(IovaWorkload.Tree, null, null, null, 2, "--reps")]
    [InlineData(IovaWorkload.Tree, 256, null, 256UL, 5, "--seed")]
    [InlineData(IovaWorkload.Churn, null, null, 0UL, 5, "--seed")]
    [InlineData(IovaWorkload.Churn, 1_048_575, null, null, 5, "--live")]
    public void Bad_options_name_the_option(IovaWorkload w, int? live, long? ops, ulong? seed, int reps, string option)
    {
        var o = new IovaBenchOptions { Workload = w, Live = live, Ops = ops, Seed = seed, Repetitions = reps };
        Assert.Equal(option, o.Problem()?.Option);
        Assert.Throws<ArgumentException>(() => IovaWorkloads.Run(o));
    }

    [Fact]
    public void Churn_times_every_pair_of_every_repetition()
    {
        var r = IovaWorkloads.Run(new IovaBenchOptions { Workload = IovaWorkload.Churn, Live = 2_000, Ops = 100, Repetitions = 3, WarmupSeconds = 0 });
        Assert.Equal(3, r.RepetitionNsPerPair.Count);
        Assert.NotNull(r.PairLatencies);
        Assert.Equal(300, r.PairLatencies.Samples);
        Assert.True(r.PairLatencies.P50Ns <= r.PairLatencies.P99Ns && r.PairLatencies.P99Ns <= r.PairLatencies.MaxNs);
        Assert.Null(r.FirstFailNs);
        Assert.Equal(IovaWorkloads.Median(r.RepetitionNsPerPair), r.NsPerPair);
    }

    [Fact]
    public void Tree_and_cache_hit_report_one_number_per_repetition()
    {
        var tree = IovaWorkloads.Run(new IovaBenchOptions { Workload = IovaWorkload.Tree, Live = 64, Ops = 5_000, Repetitions = 3, WarmupSeconds = 0 });
        Assert.Equal(3, tree.RepetitionNsPerPair.Count);
        Assert.All(tree.RepetitionNsPerPair, x => Assert.True(x > 0));
        Assert.Null(tree.PairLatencies);
        var hit = IovaWorkloads.Run(new IovaBenchOptions { Workload = IovaWorkload.CacheHit, Ops = 5_000, Repetitions = 3, WarmupSeconds = 0 });
        Assert.Equal(3, hit.RepetitionNsPerPair.Count);
    }

    [Fact]
    public void Full32_fails_exactly_when_every_page_from_start_pfn_to_the_limit_is_taken()
    {
        IovaWorkloads.Full32(out var firstFailNs, out var allocated, 0x3FF);
        Assert.Equal(0x3FF, allocated); // pfns 1..0x3FF
        Assert.True(firstFailNs >= 0);
    }

    [Fact]
    public void Median_of_even_and_odd_counts() =>
        Assert.Equal((2.0, 3.0), (IovaWorkloads.Median([3, 1, 2]), IovaWorkloads.Median([4, 1, 2, 9])));
}
