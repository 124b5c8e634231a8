using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.Invalidation;

/// <summary>
/// One page-selective IOTLB invalidation as a strict unmap issues it (<c>iommu_flush_iotlb_psi</c> →
/// <c>qi_submit_sync</c>: the IOTLB descriptor and a wait descriptor written into the simulated queue,
/// IQT written, the unit fetches and performs both, the status word polled). <c>EmptyIotlb</c>: nothing
/// cached, which is what a strict unmap of a page no device touched meets; the IOTLB must return at once
/// instead of scanning its 4,096 slots (the optimisation a merge once dropped, issue 13).
/// <c>FullIotlbOtherPage</c>: 1,000 entries of the same domain cached, the invalidated page not among
/// them; the IOTLB must probe the page's keys instead of scanning. Both stay far below a 4,096-slot scan
/// (≈ 2–4 µs on this machine).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class IotlbInvalidationBenchmarks
{
    private IntelIommuUnitDriver _hw = null!;
    private ushort _did;
    private ulong _iova;

    [Params(false, true)]
    public bool Filled { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var m = BenchMachines.Build(MapBenchMode.Strict, Filled ? 1000 : 1);
        var iommu = m.Machine.Kernel.Iommu!;
        var domain = iommu.DomainOf(m.Device)!;
        var unit = iommu.Units[0];
        _hw = unit.Hw;
        _did = domain.Dids[unit];
        var r = m.Dma.Map(m.Device, m.Buffer, m.Size, DmaDirection.Bidirectional);
        if (!r.Ok) throw new InvalidOperationException("setup map failed");
        var vtd = m.Machine.Remappers[0].Unit;
        if (Filled)
            for (var p = 0UL; p < 1000; p++) vtd.Translate(m.Device.Bdf.RequesterId, r.Address.Value + (p << 12), false);
        // A page of the domain that no device has translated: nothing to drop either way.
        _iova = r.Address.Value + (1UL << 30);
        if (vtd.IotlbEntries != (Filled ? 1000 : 0)) throw new InvalidOperationException($"setup: {vtd.IotlbEntries} IOTLB entries");
    }

    [Benchmark]
    public int PageSelectiveInvalidation()
    {
        _hw.FlushIotlbPsi(_did, _iova, 0);
        return _did;
    }
}
