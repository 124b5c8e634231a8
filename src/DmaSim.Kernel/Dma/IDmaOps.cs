using DmaSim.Core;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// A coherent allocation as the DMA API returns it. <see cref="Order"/> is the buddy order of the pages
/// that hold it, or <see cref="PoolOrder"/> when swiotlb_alloc_coherent carved it out of the bounce pool
/// (lib/swiotlb.c, 2.6.3x: no pages of its own; freed back to the pool, never to the page allocator).
/// </summary>
public readonly record struct CoherentBuffer(PhysAddr Cpu, DmaAddr Dma, ulong Size, int Order)
{
    /// <summary>The order a buffer from the swiotlb bounce pool carries: it owns slots, not buddy pages.</summary>
    public const int PoolOrder = -1;

    /// <summary>True when the buffer lies in the swiotlb bounce pool rather than in pages of its own.</summary>
    public bool FromBouncePool => Order == PoolOrder;

    /// <summary>
    /// The memory it occupies: its 2^order pages, or for a pool buffer its size rounded up to whole pages
    /// (its slots start page-aligned for sizes of a page or more, lib/swiotlb.c map_single's stride).
    /// </summary>
    public PhysRange Footprint => PhysRange.FromSize(Cpu, FromBouncePool
        ? (Size + PhysAddr.PageSize - 1) & ~(PhysAddr.PageSize - 1)
        : PhysAddr.PageSize << Order);
}

/// <summary>The result of a map or alloc call: an address, or the failure text the kernel prints.</summary>
public readonly record struct DmaMapping(bool Ok, DmaAddr Address, string? Error)
{
    public static DmaMapping Success(DmaAddr a) => new(true, a, null);
    public static DmaMapping Failure(string error) => new(false, default, error);
}

/// <summary>struct dma_map_ops: the per-device strategy the DMA API dispatches to.</summary>
public interface IDmaOps
{
    DmaOpsKind Kind { get; }
    string Name { get; }

    /// <summary>ops-&gt;alloc_coherent with the GFP flags the front end computed.</summary>
    CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Mm.Gfp gfp);
    void FreeCoherent(KernelDevice dev, CoherentBuffer buffer);
    DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir);
    void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir);
    void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir);
    void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir);
}
