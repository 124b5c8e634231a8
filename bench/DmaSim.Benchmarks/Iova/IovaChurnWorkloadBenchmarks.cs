using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Iommu.Iova;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.Iova;

/// <summary>
/// The churn workload exactly as issue 13 and docs/performance.md ("IOVA allocator") define it (same generator
/// and seed as <c>dmasim iova bench --workload churn</c>): 300,000 live single pages, then random free +
/// alloc. Target: pair average ≤ 1 µs.
/// </summary>
[MemoryDiagnoser]
public class IovaChurnWorkloadBenchmarks
{
    private const int Ops = 4096;
    private const int ChurnLive = 300_000;
    private IovaDomain _domain = null!;
    private ulong[] _slots = null!;
    private ulong _state;

    [GlobalSetup]
    public void SetupChurn()
    {
        _domain = IovaWorkloads.NewDomain();
        _state = 0xC0FFEE;
        _slots = new ulong[ChurnLive];
        for (var i = 0; i < ChurnLive; i++) _slots[i] = _domain.AllocIova(1, IovaWorkloads.Limit32, true)!.Value.PfnLo;
    }

    /// <summary>Free the range in slot x mod 300,000, allocate one page below 4 GiB into it.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public ulong Churn300kFreeAlloc()
    {
        ulong sum = 0;
        for (var i = 0; i < Ops; i++)
        {
            var slot = (int)(IovaWorkloads.Next(ref _state) % ChurnLive);
            _domain.FreeIova(_slots[slot]);
            sum += _slots[slot] = _domain.AllocIova(1, IovaWorkloads.Limit32, true)!.Value.PfnLo;
        }
        return sum;
    }
}
