using System.Diagnostics;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Simulation.Bench;

/// <summary>
/// The simulator's dma_map_benchmark (kernel/dma/map_benchmark.c + tools/testing/selftests/dma/
/// dma_map_benchmark.c): each thread maps and unmaps one buffer of <c>granule</c> pages in a loop,
/// timing each call (the kernel uses ktime_get around dma_map_single / dma_unmap_single; here Stopwatch
/// timestamps), and the run reports the average and standard deviation of both latencies.
/// <para>
/// Threads: a simulated machine is single-threaded (one event stream, one clock), so
/// <c>--threads N</c> boots N independent machines and runs one per host thread; throughput is their
/// sum. The IOVA mode gives each thread its own <see cref="IovaDomain"/> for the same reason (the
/// domain is documented as not thread-safe; the kernel's per-CPU magazines would let CPUs share it).
/// </para>
/// </summary>
public sealed class MapBenchmark
{
    /// <summary>Iterations each thread runs before timing starts, so the JIT has reached tier 1 (fewer if warm-up reaches --seconds first).</summary>
    public const int WarmupIterations = 20_000;
    private const int PublishEvery = 256;

    private readonly MapBenchOptions _options;
    private readonly IMapBenchTarget[] _targets;
    private readonly ThreadStats[] _stats;
    private long _startTimestamp;
    private long _endTimestamp;

    /// <summary>Validates the options and builds every thread's machine (boot is not timed).</summary>
    public MapBenchmark(MapBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _targets = new IMapBenchTarget[options.Threads];
        _stats = new ThreadStats[options.Threads];
        for (var i = 0; i < options.Threads; i++)
        {
            _targets[i] = options.Mode == MapBenchMode.Iova
                ? new IovaTarget((ulong)options.Granule)
                : new DmaApiTarget(BenchMachines.Build(options.Mode, options.Granule, options.DmaBits), options.Direction);
            _stats[i] = new ThreadStats();
        }
    }

    public MapBenchOptions Options => _options;

    /// <summary>Map/unmap pairs completed so far over all threads (updated every few hundred iterations).</summary>
    public long Iterations => _stats.Sum(s => Volatile.Read(ref s.PublishedIterations));

    /// <summary>Seconds since timing started (0 before, frozen at the end).</summary>
    public double ElapsedSeconds
    {
        get
        {
            var start = Volatile.Read(ref _startTimestamp);
            if (start == 0) return 0;
            var end = Volatile.Read(ref _endTimestamp);
            return Stopwatch.GetElapsedTime(start, end == 0 ? Stopwatch.GetTimestamp() : end).TotalSeconds;
        }
    }

    /// <summary>Runs every thread to the deadline (or <see cref="MapBenchOptions.MaxIterations"/>) and returns the numbers.</summary>
    public MapBenchResult Run(CancellationToken cancellation = default)
    {
        var overhead = TimerOverheadNs();
        using var ready = new CountdownEvent(_targets.Length);
        using var go = new ManualResetEventSlim(false);
        var deadline = 0L;
        // Warm-up is bounded by time as well as by count: with many threads (or 1024-page granules) on
        // few cores, 20,000 untimed iterations each would take minutes and make --seconds meaningless.
        var warmupDeadline = Stopwatch.GetTimestamp() + (long)(_options.Seconds * Stopwatch.Frequency);
        Exception? failure = null;
        var threads = new Thread[_targets.Length];
        for (var i = 0; i < threads.Length; i++)
        {
            var index = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    Warmup(_targets[index], warmupDeadline);
                    ready.Signal();
                    go.Wait(cancellation);
                    Loop(_targets[index], _stats[index], Volatile.Read(ref deadline), cancellation);
                }
                catch (OperationCanceledException) { }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            })
            { IsBackground = true, Name = "dmasim-bench-" + index };
            threads[i].Start();
        }
        ready.Wait(cancellation);
        var start = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, start + (long)(_options.Seconds * Stopwatch.Frequency));
        Volatile.Write(ref _startTimestamp, start);
        go.Set();
        foreach (var t in threads) t.Join();
        Volatile.Write(ref _endTimestamp, Stopwatch.GetTimestamp());
        if (failure is not null) throw new InvalidOperationException($"bench {NameOf(_options.Mode)}: {failure.Message}", failure);
        return Summarise(overhead);
    }

    private static void Warmup(IMapBenchTarget target, long deadline)
    {
        for (var i = 0; i < WarmupIterations; i++)
        {
            if (i % 64 == 0 && Stopwatch.GetTimestamp() >= deadline) return;
            target.Map();
            target.Unmap();
            target.Advance(100);
        }
    }

    // map_benchmark_thread: ktime_get, dma_map_single, ktime_get, (transfer delay: none here), ktime_get,
    // dma_unmap_single, ktime_get; sums and sums of squares per thread, summed at the end.
    private void Loop(IMapBenchTarget target, ThreadStats s, long deadline, CancellationToken cancellation)
    {
        var max = _options.MaxIterations;
        long n = 0, mapSum = 0, unmapSum = 0;
        double mapSq = 0, unmapSq = 0;
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            target.Map();
            var t1 = Stopwatch.GetTimestamp();
            // -x: the device "transfers" for dma_trans_ns between map and unmap, outside both timings (ndelay).
            if (_options.TransferDelayNs > 0) target.Advance((ulong)_options.TransferDelayNs);
            var tUnmap = _options.TransferDelayNs > 0 ? Stopwatch.GetTimestamp() : t1;
            target.Unmap();
            var t2 = Stopwatch.GetTimestamp();
            var map = t1 - t0;
            var unmap = t2 - tUnmap;
            mapSum += map;
            unmapSum += unmap;
            mapSq += (double)map * map;
            unmapSq += (double)unmap * unmap;
            n++;
            // Simulated time follows the host's, so the flush queue's 10 ms timer fires as it would.
            target.Advance(TicksToNs(t2 - t0));
            if (n % PublishEvery == 0)
            {
                Volatile.Write(ref s.PublishedIterations, n);
                if (cancellation.IsCancellationRequested) break;
            }
            if (t2 >= deadline || (max != 0 && n >= max)) break;
        }
        s.Iterations = n;
        s.MapTicks = mapSum;
        s.UnmapTicks = unmapSum;
        s.MapSquares = mapSq;
        s.UnmapSquares = unmapSq;
        Volatile.Write(ref s.PublishedIterations, n);
    }

    private MapBenchResult Summarise(double overhead)
    {
        long n = 0, mapTicks = 0, unmapTicks = 0;
        double mapSq = 0, unmapSq = 0;
        foreach (var s in _stats)
        {
            n += s.Iterations;
            mapTicks += s.MapTicks;
            unmapTicks += s.UnmapTicks;
            mapSq += s.MapSquares;
            unmapSq += s.UnmapSquares;
        }
        var elapsed = ElapsedSeconds;
        var toNs = 1e9 / Stopwatch.Frequency;
        double Mean(long sum) => n == 0 ? 0 : sum * toNs / n;
        double Stddev(long sum, double squares)
        {
            if (n == 0) return 0;
            var mean = (double)sum / n;
            return Math.Sqrt(Math.Max(0, squares / n - mean * mean)) * toNs;
        }
        return new MapBenchResult(_options.Mode, _options.Threads, _options.Granule, _options.Direction, n, elapsed,
            Mean(mapTicks), Stddev(mapTicks, mapSq), Mean(unmapTicks), Stddev(unmapTicks, unmapSq),
            elapsed > 0 ? n / elapsed : 0, overhead, _targets[0].OpsName,
            _options.Threads == 1
                ? "one simulated machine on one host thread"
                : $"{_options.Threads} independent simulated machines, one per host thread; ops/s is their sum");
    }

    private static ulong TicksToNs(long ticks) => (ulong)Math.Max(0, (long)(ticks * (1e9 / Stopwatch.Frequency)));

    /// <summary>Average cost of one timestamp pair, included in every latency above (ktime_get has the same bias).</summary>
    public static double TimerOverheadNs()
    {
        const int n = 100_000;
        var first = Stopwatch.GetTimestamp();
        var last = first;
        for (var i = 0; i < n; i++) last = Stopwatch.GetTimestamp();
        return (last - first) * (1e9 / Stopwatch.Frequency) / n;
    }

    /// <summary>The CLI's spelling of a mode.</summary>
    public static string NameOf(MapBenchMode mode) => mode switch
    {
        MapBenchMode.Strict => "strict",
        MapBenchMode.Lazy => "lazy",
        MapBenchMode.Passthrough => "passthrough",
        MapBenchMode.Swiotlb => "swiotlb",
        MapBenchMode.Direct => "direct",
        MapBenchMode.Iova => "iova",
        _ => mode.ToString(),
    };

    /// <summary>Every mode's CLI name.</summary>
    public static IReadOnlyList<string> ModeNames { get; } = [.. Enum.GetValues<MapBenchMode>().Select(NameOf)];

    public static MapBenchMode? ParseMode(string name) =>
        Enum.GetValues<MapBenchMode>().Where(m => NameOf(m) == name).Select(m => (MapBenchMode?)m).FirstOrDefault();

    private sealed class ThreadStats
    {
        public long PublishedIterations;
        public long Iterations;
        public long MapTicks;
        public long UnmapTicks;
        public double MapSquares;
        public double UnmapSquares;
    }
}

/// <summary>One thread's map and unmap.</summary>
internal interface IMapBenchTarget
{
    string OpsName { get; }
    void Map();
    void Unmap();
    void Advance(ulong ns);
}

/// <summary>dma_map_single / dma_unmap_single through the machine's DMA API.</summary>
internal sealed class DmaApiTarget : IMapBenchTarget
{
    private readonly BenchMachine _m;
    private readonly DmaDirection _dir;
    private DmaAddr _addr;

    public DmaApiTarget(BenchMachine machine, DmaDirection dir)
    {
        _m = machine;
        _dir = dir;
    }

    public string OpsName => _m.Device.Ops?.Name ?? "none";

    public void Map()
    {
        var r = _m.Dma.Map(_m.Device, _m.Buffer, _m.Size, _dir);
        // map_benchmark_thread: dma_mapping_error (timed with the map) → "dma_map_single failed", the thread stops with -ENOMEM.
        if (_m.Dma.MappingError(_m.Device, r.Address, !r.Ok)) throw new InvalidOperationException($"dma_map_single failed: {r.Error}");
        _addr = r.Address;
    }

    public void Unmap() => _m.Dma.Unmap(_m.Device, _addr, _m.Size, _dir);

    public void Advance(ulong ns) => _m.Machine.Clock.Advance(ns);
}

/// <summary>
/// The allocator alone: <c>alloc_iova_fast</c> + <c>free_iova_fast</c> of one granule below 4 GiB, as
/// dma-iommu does for a PCI device (the per-CPU range cache satisfies every pair after the first).
/// </summary>
internal sealed class IovaTarget : IMapBenchTarget
{
    private const ulong Limit32Pfn = (1UL << 32 >> PhysAddr.PageShift) - 1;
    private readonly IovaDomain _domain = new(PhysAddr.PageSize, 1, cpuCount: 1);
    private readonly ulong _pages;
    private ulong _pfn;

    public IovaTarget(ulong pages) => _pages = pages;

    public string OpsName => "alloc_iova_fast/free_iova_fast";

    public void Map()
    {
        _pfn = _domain.AllocIovaFast(_pages, Limit32Pfn, true);
        if (_pfn == 0) throw new InvalidOperationException("alloc_iova_fast failed");
    }

    public void Unmap() => _domain.FreeIovaFast(_pfn, _pages);

    public void Advance(ulong ns) { }
}
