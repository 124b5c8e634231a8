using DmaSim.Kernel.Dma;

namespace DmaSim.Simulation.Bench;

/// <summary>
/// What <c>dmasim bench</c> times, after the kernel's DMA map benchmark
/// (kernel/dma/map_benchmark.c, driven by tools/testing/selftests/dma/dma_map_benchmark.c).
/// </summary>
public enum MapBenchMode
{
    /// <summary>dma-iommu on a translated (DMA) domain with strict invalidation: every unmap flushes the IOTLB pages.</summary>
    Strict,
    /// <summary>dma-iommu on a DMA-FQ domain: unmapped IOVAs wait in the flush queue (256 entries / 10 ms).</summary>
    Lazy,
    /// <summary>iommu=pt: identity default domain, so the DMA API is dma-direct.</summary>
    Passthrough,
    /// <summary>A 32-bit device, a buffer above 4 GiB and no IOMMU: dma-direct bounces through swiotlb.</summary>
    Swiotlb,
    /// <summary>No IOMMU, 64-bit device: dma-direct returns the physical address.</summary>
    Direct,
    /// <summary>The IOVA allocator alone: one per-CPU-cached alloc + free pair per iteration.</summary>
    Iova,
}

/// <summary>
/// Parameters as dma_map_benchmark takes them (-t threads, -s seconds, -g granule, -d dir), plus the
/// simulator's mode. <see cref="MaxIterations"/> bounds a run for tests; 0 = until <see cref="Seconds"/>.
/// </summary>
public sealed record MapBenchOptions
{
    /// <summary>The tool's limit (DMA_MAP_MAX_THREADS).</summary>
    public const int MaxThreads = 1024;
    /// <summary>The tool's limit (DMA_MAP_MAX_SECONDS).</summary>
    public const double MaxSeconds = 300;

    public MapBenchMode Mode { get; init; } = MapBenchMode.Strict;
    /// <summary>-t: threads; each runs its own simulated machine (see <see cref="MapBenchmark"/>).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>-s: how long to run (the tool's default is 20 s; ours 2 s, sims are impatient).</summary>
    public double Seconds { get; init; } = 2;
    /// <summary>-g: pages per map/unmap (the tool's granule, in PAGE_SIZE units).</summary>
    public int Granule { get; init; } = 1;
    /// <summary>-d: DMA direction (the tool's default is bidirectional).</summary>
    public DmaDirection Direction { get; init; } = DmaDirection.Bidirectional;
    /// <summary>Stop each thread after this many iterations (tests); 0 = run for <see cref="Seconds"/>.</summary>
    public long MaxIterations { get; init; }
    /// <summary>-b: the device's DMA mask in bits; null = the mode's own (64, or 32 for swiotlb). The tool's default is 32.</summary>
    public int? DmaBits { get; init; }
    /// <summary>-x: simulated nanoseconds between map and unmap, untimed (the tool's ndelay(dma_trans_ns)).</summary>
    public int TransferDelayNs { get; init; }
    /// <summary>-n: NUMA node the threads run on; the simulated machine has one node, so -1 (none) or 0.</summary>
    public int Node { get; init; } = -1;

    /// <summary>DMA_MAP_MAX_TRANS_DELAY: 10 ms.</summary>
    public const int MaxTransferDelayNs = 10_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> where the kernel's ioctl returns -EINVAL.</summary>
    public void Validate()
    {
        // map_benchmark_ioctl: threads 1..DMA_MAP_MAX_THREADS, seconds 1..DMA_MAP_MAX_SECONDS, granule 1..1024.
        if (Threads is < 1 or > MaxThreads) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"threads must be 1..{MaxThreads}");
        if (!(Seconds > 0) || Seconds > MaxSeconds) throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, $"seconds must be in (0, {MaxSeconds}]");
        if (Granule is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(Granule), Granule, "granule must be 1..1024 pages");
        if (MaxIterations < 0) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "max iterations must not be negative");
        // map_benchmark_ioctl: dma_bits 20..64 ("invalid dma_bits"), dma_trans_ns <= 10 ms ("invalid transmission
        // delay"), node NUMA_NO_NODE or a possible node ("invalid numa node"; one node here).
        if (DmaBits is < 20 or > 64) throw new ArgumentOutOfRangeException(nameof(DmaBits), DmaBits, "dma bits must be 20..64");
        if (Mode == MapBenchMode.Swiotlb && DmaBits > 32)
            throw new ArgumentOutOfRangeException(nameof(DmaBits), DmaBits, "swiotlb mode bounces a buffer above 4 GiB: dma bits must be 20..32");
        if (TransferDelayNs is < 0 or > MaxTransferDelayNs) throw new ArgumentOutOfRangeException(nameof(TransferDelayNs), TransferDelayNs, $"transfer delay must be 0..{MaxTransferDelayNs} ns");
        if (Node is not (-1 or 0)) throw new ArgumentOutOfRangeException(nameof(Node), Node, "invalid numa node: the simulated machine has node 0 only (-1 = no node)");
        if (Direction is not (DmaDirection.Bidirectional or DmaDirection.ToDevice or DmaDirection.FromDevice))
            throw new ArgumentOutOfRangeException(nameof(Direction), Direction, "direction must be bidirectional, to-device or from-device");
    }
}

/// <summary>
/// One benchmark run's numbers. The kernel reports averages in units of 100 ns; the simulator is
/// faster than that, so everything here is in ns. Standard deviation as the kernel computes it:
/// sqrt(E[x²] − E[x]²) over every operation of every thread.
/// </summary>
public sealed record MapBenchResult(
    MapBenchMode Mode,
    int Threads,
    int Granule,
    DmaDirection Direction,
    long Iterations,
    double ElapsedSeconds,
    double MapNs,
    double MapStddevNs,
    double UnmapNs,
    double UnmapStddevNs,
    double OpsPerSecond,
    double TimerOverheadNs,
    string DmaOps,
    string Threading)
{
    /// <summary>Name of the mode as the CLI spells it.</summary>
    public string ModeName => MapBenchmark.NameOf(Mode);

    /// <summary>The direction as dma_map_benchmark names it (its dma_dir values).</summary>
    public string DirName => Direction switch
    {
        DmaDirection.ToDevice => "TO_DEVICE",
        DmaDirection.FromDevice => "FROM_DEVICE",
        _ => "BIDIRECTIONAL",
    };
}
