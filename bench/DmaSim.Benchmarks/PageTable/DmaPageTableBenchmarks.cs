using BenchmarkDotNet.Attributes;
using DmaSim.Core;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.PageTable;

/// <summary>
/// The driver side of the tables (Linux <c>__domain_mapping</c> / <c>dma_pte_clear_range</c>): DmaPageTable
/// Map + Unmap of one 4 KiB page in a 4-level domain, writing real PTEs into simulated memory.
/// <c>Lonely</c>: the page is alone in its leaf table, so the simulator's Unmap frees that table and the
/// next Map allocates it again. <c>WithNeighbour</c>: another page keeps the leaf table alive, which is
/// what Linux 6.x does anyway (it frees only tables the range covers whole).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class DmaPageTableBenchmarks
{
    private const ulong LonelyPfn = 0x7_0000;
    private const ulong NeighbourPfn = 0x7_1000;
    private DmaPageTable _table = null!;
    private ulong _phys;

    [GlobalSetup]
    public void Setup()
    {
        var m = BenchMachines.Build(MapBenchMode.Strict);
        _table = m.Machine.Kernel.Iommu!.DomainOf(m.Device)!.Table!;
        _phys = m.Buffer.Pfn;
        _table.Map(new IovaPfn(NeighbourPfn + 1), new PhysPfn(_phys), 1, true, true);
    }

    [Benchmark]
    public ulong MapUnmapLonely()
    {
        var r = _table.Map(new IovaPfn(LonelyPfn), new PhysPfn(_phys), 1, true, true);
        return r.PagesMapped + _table.Unmap(LonelyPfn, 1).PagesCleared;
    }

    [Benchmark]
    public ulong MapUnmapWithNeighbour()
    {
        var r = _table.Map(new IovaPfn(NeighbourPfn), new PhysPfn(_phys), 1, true, true);
        return r.PagesMapped + _table.Unmap(NeighbourPfn, 1).PagesCleared;
    }

    [Benchmark]
    public ulong Lookup() => _table.Lookup(NeighbourPfn + 1).PhysPfn;
}
