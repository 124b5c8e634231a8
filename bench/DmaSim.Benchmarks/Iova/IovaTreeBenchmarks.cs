using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Benchmarks.Iova;

/// <summary>alloc_iova + __free_iova through the augmented tree with 256 live ranges of mixed sizes (target ≤ 150 ns).</summary>
[MemoryDiagnoser]
public class IovaTreeBenchmarks
{
    private const int Live = 256;
    private const int Ops = 4096;
    private readonly DmaSim.Kernel.Iommu.Iova.Iova[] _live = new DmaSim.Kernel.Iommu.Iova.Iova[Live];
    private int[] _victims = null!;
    private ulong[] _sizes = null!;
    private ulong[] _limits = null!;
    private IovaDomain _domain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _victims = [.. Enumerable.Range(0, Ops).Select(_ => random.Next(Live))];
        _sizes = [.. Enumerable.Range(0, Ops).Select(_ => random.Next(4) == 0 ? (ulong)random.Next(1, 300) : 1UL << random.Next(9))];
        _limits = [.. Enumerable.Range(0, Ops).Select(_ => random.Next(3) == 0 ? 0xfffffUL : 0xffffffUL)];
        _domain = new IovaDomain(4096, 1);
        for (var i = 0; i < Live; i++) _live[i] = _domain.AllocIova(_sizes[i], _limits[i], true)!.Value;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public ulong TreeAllocFree256LiveMixed()
    {
        ulong sum = 0;
        for (var i = 0; i < Ops; i++)
        {
            var v = _victims[i];
            _domain.Free(_live[v]);
            var got = _domain.AllocIova(_sizes[i], _limits[i], true)!.Value;
            _live[v] = got;
            sum += got.PfnLo;
        }
        return sum;
    }
}
