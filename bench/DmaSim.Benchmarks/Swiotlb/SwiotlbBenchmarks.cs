using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.Swiotlb;

/// <summary>
/// Bouncing one 4 KiB buffer: a 32-bit device, the buffer above 4 GiB, no IOMMU, so dma-direct maps
/// through swiotlb (slot search, 4 KiB copy into the pool for TO_DEVICE/BIDIRECTIONAL, copy back on unmap
/// for FROM_DEVICE/BIDIRECTIONAL). <c>ViaDmaApi</c> is dma_map_single/dma_unmap_single; <c>PoolOnly</c>
/// is swiotlb_tbl_map_single/swiotlb_tbl_unmap_single alone. Target ≤ 300 ns (issue 13). <c>PlainCopy4K</c>
/// is the floor: one 4 KiB copy between two hot host arrays, no simulation at all. <c>PoolWalkCopy4K</c> is
/// the floor of what swiotlb does: the pool hands out slots next-fit (swiotlb_search_pool_area moves the
/// area index past each allocation), so successive maps use successive 4 KiB of the 64 MiB pool and the
/// copy lands in memory that is not in any cache; it copies in, and back for BIDIRECTIONAL, as map+unmap do.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class SwiotlbBenchmarks
{
    private BenchMachine _m = null!;
    private DmaSim.Kernel.Dma.Swiotlb _pool = null!;

    [Params(DmaDirection.ToDevice, DmaDirection.Bidirectional)]
    public DmaDirection Direction { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _m = BenchMachines.Build(MapBenchMode.Swiotlb);
        _pool = _m.Machine.Kernel.K.Swiotlb ?? throw new InvalidOperationException("no swiotlb pool");
        _poolBytes = new byte[PoolBytes];
    }

    [Benchmark]
    public ulong ViaDmaApi()
    {
        var r = _m.Dma.Map(_m.Device, _m.Buffer, _m.Size, Direction);
        _m.Dma.MappingError(_m.Device, r.Address, !r.Ok);
        _m.Dma.Unmap(_m.Device, r.Address, _m.Size, Direction);
        return r.Address.Value;
    }

    [Benchmark]
    public ulong PoolOnly()
    {
        var r = _pool.Map(_m.Device.PciName, _m.Buffer, _m.Size, Direction, uint.MaxValue);
        _pool.Unmap(r.Address, _m.Size, Direction);
        return r.Address.Value;
    }

    // Source and destination 6 KiB apart in one buffer. Two 4 KiB arrays allocated back to back can sit a few
    // bytes more than 4 KiB apart, so that the copy's loads alias its own earlier stores modulo 4 KiB and wait
    // on them: run in fresh processes on 2026-12-07, PlainCopy4K read 2.1 µs that way.
    private readonly byte[] _copyBuffer = new byte[16384];
    private Span<byte> From => _copyBuffer.AsSpan(0, 4096);
    private Span<byte> To => _copyBuffer.AsSpan(6144, 4096);

    [Benchmark]
    public byte PlainCopy4K()
    {
        From.CopyTo(To);
        return _copyBuffer[6144 + 4095];
    }

    private const int PoolBytes = 64 << 20;
    private byte[] _poolBytes = [];
    private int _next;

    [Benchmark]
    public byte PoolWalkCopy4K()
    {
        var at = _next;
        _next = (at + 4096) & (PoolBytes - 1);
        var slot = _poolBytes.AsSpan(at, 4096);
        From.CopyTo(slot);
        if (Direction == DmaDirection.Bidirectional) slot.CopyTo(To);
        return slot[4095];
    }
}
