using System.Diagnostics;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Simulation.Bench;

/// <summary>The four fixed allocator workloads of <c>dmasim iova bench</c> (docs/performance.md, "IOVA workloads").</summary>
public enum IovaWorkload
{
    /// <summary>alloc_iova_fast + free_iova_fast of one page, served by the per-CPU range cache.</summary>
    CacheHit,
    /// <summary>alloc_iova + free_iova(pfn) through the tree, L live ranges of 1–8 pages, the oldest freed.</summary>
    Tree,
    /// <summary>300,000 live single pages, then random free + alloc, each pair timed.</summary>
    Churn,
    /// <summary>Fill the 32-bit space with single pages; time the first allocation that fails.</summary>
    Full32,
}

/// <summary>Parameters of one <c>dmasim iova bench</c> run; null fields take the workload's defaults.</summary>
public sealed record IovaBenchOptions
{
    public const int MinRepetitions = 3;
    public const int MaxLive = 1 << 22;
    public const long MaxOps = 100_000_000;

    public IovaWorkload Workload { get; init; } = IovaWorkload.CacheHit;
    /// <summary>Live ranges (tree: L; churn: 300,000 by default). Not used by cache-hit and full32.</summary>
    public int? Live { get; init; }
    /// <summary>Timed operations (pairs) per repetition.</summary>
    public long? Ops { get; init; }
    /// <summary>xorshift64 seed (tree: seed XOR L; churn: seed). Defaults: tree 0x9E3779B97F4A7C15, churn 0xC0FFEE.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Timed repetitions, each on a fresh domain; nsPerPair is their median.</summary>
    public int Repetitions { get; init; } = 5;
    /// <summary>Untimed warm-up before the repetitions (so the JIT has tiered up), in seconds; 0 = none.</summary>
    public double WarmupSeconds { get; init; } = 0.3;

    public int EffectiveLive => Live ?? (Workload == IovaWorkload.Churn ? 300_000 : 256);

    public long EffectiveOps => Ops ?? Workload switch
    {
        IovaWorkload.CacheHit => 1_000_000,
        IovaWorkload.Tree => 200_000,
        IovaWorkload.Churn => 1_000,
        _ => 1,
    };

    public ulong EffectiveSeed => Seed ?? (Workload == IovaWorkload.Churn ? 0xC0FFEEUL : 0x9E37_79B9_7F4A_7C15UL);

    /// <summary>The generator's first state: tree mixes in L so each size has its own stream.</summary>
    public ulong InitialState => Workload == IovaWorkload.Tree ? EffectiveSeed ^ (ulong)EffectiveLive : EffectiveSeed;

    /// <summary>The first option at fault as (option, message), or null when the run can start.</summary>
    public (string Option, string Message)? Problem()
    {
        if (Live is < 1 or > MaxLive) return ("--live", $"must be 1..{MaxLive}");
        if (Ops is < 1 or > MaxOps) return ("--ops", $"must be 1..{MaxOps}");
        if (Repetitions is < MinRepetitions or > 101) return ("--reps", $"must be {MinRepetitions}..101");
        if (Workload is IovaWorkload.Tree or IovaWorkload.Churn && InitialState == 0)
            return ("--seed", "the xorshift64 state would be 0 (tree uses seed XOR live), which never changes");
        if (Workload == IovaWorkload.Churn && (ulong)EffectiveLive >= IovaWorkloads.Limit32)
            return ("--live", "churn's live single pages must fit below 4 GiB (at most 1048574)");
        return null;
    }
}

/// <summary>One run: per-repetition ns per pair, their median, and the workload's extra statistics.</summary>
public sealed record IovaBenchResult(
    IovaBenchOptions Options,
    IReadOnlyList<double> RepetitionNsPerPair,
    double NsPerPair,
    IovaLatencies? PairLatencies,
    double? FirstFailNs,
    double TimerOverheadNs);

/// <summary>Statistics over every individually timed pair of every repetition (churn).</summary>
public sealed record IovaLatencies(double AvgNs, double P50Ns, double P99Ns, double MaxNs, int Samples);

/// <summary>
/// The workloads as issue 13 defines them, so a C harness around Linux's drivers/iommu/iova.c can run the
/// same operations in the same order: granule 4 KiB, start pfn 1, modern iova.c placement. Each repetition
/// starts from a fresh domain; set-up is untimed.
/// </summary>
public static class IovaWorkloads
{
    /// <summary>dma-iommu's 32-bit limit, DMA_BIT_MASK(32) &gt;&gt; 12, inclusive.</summary>
    public const ulong Limit32 = 0xF_FFFF;
    /// <summary>A 48-bit aperture (4-level tables), inclusive.</summary>
    public const ulong Limit48 = (1UL << 36) - 1;
    private const ulong WarmupFull32Limit = 0xFFF;
    private static readonly double _nsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>xorshift64 (Marsaglia): x ^= x &lt;&lt; 13; x ^= x &gt;&gt; 7; x ^= x &lt;&lt; 17; the new state is the output.</summary>
    public static ulong Next(ref ulong x)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }

    public static IovaDomain NewDomain() => new(4096, 1);

    public static IovaBenchResult Run(IovaBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } p) throw new ArgumentException($"{p.Option}: {p.Message}", nameof(options));
        Warmup(options);
        var reps = new double[options.Repetitions];
        var samples = options.Workload == IovaWorkload.Churn ? new List<double>((int)Math.Min(options.EffectiveOps * options.Repetitions, 1 << 20)) : null;
        var failures = options.Workload == IovaWorkload.Full32 ? new double[options.Repetitions] : null;
        for (var r = 0; r < reps.Length; r++)
        {
            reps[r] = options.Workload switch
            {
                IovaWorkload.CacheHit => CacheHit(options.EffectiveOps),
                IovaWorkload.Tree => Tree(options.EffectiveLive, options.EffectiveOps, options.InitialState),
                IovaWorkload.Churn => Churn(options.EffectiveLive, options.EffectiveOps, options.InitialState, samples!),
                _ => Full32(out failures![r], out _),
            };
        }
        return new IovaBenchResult(options, reps, Median(reps), samples is null ? null : Latencies(samples),
            failures is null ? null : Median(failures), TimerOverheadNs());
    }

    /// <summary>The same loops on small inputs until the time is up, so the timed code runs at tier 1.</summary>
    private static void Warmup(IovaBenchOptions o)
    {
        if (o.WarmupSeconds <= 0) return;
        var until = Stopwatch.GetTimestamp() + (long)(o.WarmupSeconds * Stopwatch.Frequency);
        var scratch = new List<double>();
        while (Stopwatch.GetTimestamp() < until)
        {
            CacheHit(20_000);
            Tree(256, 20_000, 0x9E37_79B9_7F4A_7C15UL);
            Churn(4_096, 2_000, 0xC0FFEE, scratch);
            scratch.Clear();
            // full32's timed call is the only failing one: without this its path (the retry pass) would be
            // timed at tier 0, never having run before.
            Full32(out _, out _, WarmupFull32Limit);
        }
    }

    /// <summary>
    /// 1,000 untimed warm-up pairs, then <paramref name="ops"/> pairs of a one-page alloc_iova_fast below the
    /// 32-bit limit (on failure the full limit with flush, as iommu_dma_alloc_iova does) and free_iova_fast.
    /// </summary>
    public static double CacheHit(long ops)
    {
        var d = NewDomain();
        for (var i = 0; i < 1000; i++) CacheHitPair(d);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0L; i < ops; i++) CacheHitPair(d);
        return (Stopwatch.GetTimestamp() - start) * _nsPerTick / ops;
    }

    private static void CacheHitPair(IovaDomain d)
    {
        var pfn = d.AllocIovaFast(1, Limit32, false);
        if (pfn == 0) pfn = d.AllocIovaFast(1, Limit48, true);
        d.FreeIovaFast(pfn, 1);
    }

    /// <summary>
    /// No range caches. <paramref name="live"/> ranges allocated first (sizes from the same generator), then
    /// per op i: free slot i mod L (the oldest), allocate 1 + (x mod 8) pages size-aligned below the 32-bit
    /// limit (else below 48 bits) into that slot.
    /// </summary>
    public static double Tree(int live, long ops, ulong state)
    {
        var d = NewDomain();
        var slots = new ulong[live];
        for (var i = 0; i < live; i++) slots[i] = TreeAlloc(d, ref state);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0L; i < ops; i++)
        {
            var slot = (int)(i % live);
            d.FreeIova(slots[slot]);
            slots[slot] = TreeAlloc(d, ref state);
        }
        return (Stopwatch.GetTimestamp() - start) * _nsPerTick / ops;
    }

    private static ulong TreeAlloc(IovaDomain d, ref ulong state)
    {
        var size = 1 + Next(ref state) % 8;
        var got = d.AllocIova(size, Limit32, true) ?? d.AllocIova(size, Limit48, true)
            ?? throw new InvalidOperationException("tree workload: the 48-bit space is full");
        return got.PfnLo;
    }

    /// <summary>
    /// <paramref name="live"/> one-page ranges below the 32-bit limit, then <paramref name="ops"/> × (free the
    /// range in slot x mod L, allocate one page below the 32-bit limit into it), each pair timed alone.
    /// </summary>
    public static double Churn(int live, long ops, ulong state, List<double> pairNs)
    {
        ArgumentNullException.ThrowIfNull(pairNs);
        var d = NewDomain();
        var slots = new ulong[live];
        for (var i = 0; i < live; i++) slots[i] = (d.AllocIova(1, Limit32, true) ?? throw Full()).PfnLo;
        long total = 0;
        for (var i = 0L; i < ops; i++)
        {
            var slot = (int)(Next(ref state) % (ulong)live);
            var t0 = Stopwatch.GetTimestamp();
            d.FreeIova(slots[slot]);
            var got = d.AllocIova(1, Limit32, true);
            var ticks = Stopwatch.GetTimestamp() - t0;
            slots[slot] = (got ?? throw Full()).PfnLo;
            total += ticks;
            pairNs.Add(ticks * _nsPerTick);
        }
        return total * _nsPerTick / ops;
    }

    private static InvalidOperationException Full() => new("churn workload: the 32-bit space is full");

    /// <summary>
    /// One-page allocations below <paramref name="limitPfn"/> (the 32-bit limit) until one fails (the space
    /// holds pfns 1..limit); the failing call is timed into <paramref name="firstFailNs"/>. Returns ns per
    /// successful allocation.
    /// </summary>
    public static double Full32(out double firstFailNs, out long allocated, ulong limitPfn = Limit32)
    {
        var d = NewDomain();
        allocated = 0L;
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            var got = d.AllocIova(1, limitPfn, true);
            if (got is null)
            {
                var end = Stopwatch.GetTimestamp();
                firstFailNs = (end - t0) * _nsPerTick;
                return (t0 - start) * _nsPerTick / Math.Max(1, allocated);
            }
            allocated++;
        }
    }

    private static IovaLatencies Latencies(List<double> samples)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new IovaLatencies(sorted.Average(), At(0.5), At(0.99), sorted[^1], sorted.Length);
    }

    /// <summary>The median: the middle value, or the mean of the two middle values.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var s = values.ToArray();
        Array.Sort(s);
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>
    /// Cost of one <c>Stopwatch.GetTimestamp</c> call (mean of 10,000 back to back). The interval between the
    /// two timestamps around an individually timed pair holds about one such call; it is reported, not subtracted.
    /// </summary>
    private static double TimerOverheadNs()
    {
        const int N = 10_000;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < N; i++) _ = Stopwatch.GetTimestamp();
        return (Stopwatch.GetTimestamp() - start) * _nsPerTick / N;
    }
}
