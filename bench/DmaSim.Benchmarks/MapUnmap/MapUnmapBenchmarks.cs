using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.MapUnmap;

/// <summary>
/// dma_map_single + dma_unmap_single of one 4 KiB page through the whole simulated kernel (DMA API,
/// dma ops, IOVA, page tables, invalidation through the VT-d registers/queue, the event stream and the
/// checker) — the pair kernel/dma/map_benchmark.c times. Targets: strict ≤ 150 ns, lazy ≤ 100 ns.
/// Anchor: dma_map_benchmark on real hardware, 0.1–3.6 µs per map and 0.5–21 µs per unmap.
/// Lazy: the flush queue fills to 256 entries and flushes (the clock is not advanced here). As
/// map_benchmark_thread does, the map is followed by dma_mapping_error, so dma-debug (on by default) sees a
/// checked handle.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class MapUnmapBenchmarks
{
    private BenchMachine _m = null!;

    [Params(MapBenchMode.Strict, MapBenchMode.Lazy, MapBenchMode.Passthrough, MapBenchMode.Direct)]
    public MapBenchMode Mode { get; set; }

    [GlobalSetup]
    public void Setup() => _m = BenchMachines.Build(Mode);

    [Benchmark]
    public ulong MapUnmap4K()
    {
        var r = _m.Dma.Map(_m.Device, _m.Buffer, _m.Size, DmaDirection.Bidirectional);
        _m.Dma.MappingError(_m.Device, r.Address, !r.Ok);
        _m.Dma.Unmap(_m.Device, r.Address, _m.Size, DmaDirection.Bidirectional);
        return r.Address.Value;
    }
}
