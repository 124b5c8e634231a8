using BenchmarkDotNet.Attributes;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;
using DmaSim.Simulation.Bench;

namespace DmaSim.Benchmarks.Buddy;

/// <summary>
/// The buddy allocator (mm/page_alloc.c model): alloc_pages + __free_pages of one block on an 8 GiB
/// linux-6.1 machine, GFP_KERNEL (Normal zone) and GFP_DMA32. Includes the frame-owner tagging the
/// simulator adds so a stray DMA can say whose page it hit.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class BuddyBenchmarks
{
    private static readonly FrameOwner _owner = new(OwnerKind.KernelBuffer, "bench", "buddy");
    private PageAllocator _pages = null!;

    [Params(0, 3)]
    public int Order { get; set; }

    [Params(Gfp.Kernel, Gfp.Dma32)]
    public Gfp Flags { get; set; }

    [GlobalSetup]
    public void Setup() => _pages = BenchMachines.Build(MapBenchMode.Direct).Machine.Kernel.K.Pages;

    [Benchmark]
    public ulong AllocFree()
    {
        var p = _pages.AllocPages(Order, Flags, _owner) ?? throw new InvalidOperationException("out of memory");
        _pages.FreePages(p.Start, p.Order);
        return p.Start.Value;
    }
}
