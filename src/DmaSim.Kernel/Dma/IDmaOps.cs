using DmaSim.Core;

namespace DmaSim.Kernel.Dma;

/// <summary>A coherent allocation as the DMA API returns it.</summary>
public readonly record struct CoherentBuffer(PhysAddr Cpu, DmaAddr Dma, ulong Size, int Order);

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
