using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Benchmarks.Iova;

/// <summary>The per-CPU range cache hit path: alloc_iova_fast + free_iova_fast of one page (target ≤ 20 ns).</summary>
[MemoryDiagnoser]
public class IovaRangeCacheBenchmarks
{
    private const int Ops = 1024;
    private IovaDomain _domain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _domain = new IovaDomain(4096, 1);
        // Warm the cache: one range parked, so every allocation below is a hit.
        _domain.FreeIovaFast(_domain.AllocIovaFast(1, 0xfffff, false), 1);
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public ulong CacheHitAllocFree1Page()
    {
        ulong sum = 0;
        for (var i = 0; i < Ops; i++)
        {
            var pfn = _domain.AllocIovaFast(1, 0xfffff, false);
            _domain.FreeIovaFast(pfn, 1);
            sum += pfn;
        }
        return sum;
    }
}
