using DmaSim.Core;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// swiotlb_dma_ops of 2.6.3x x86 (arch/x86/kernel/pci-swiotlb.c + lib/swiotlb.c): physical addresses
/// when the mask reaches, bounce buffers when it does not; the coherent allocator honours the
/// coherent mask (x86_swiotlb_alloc_coherent → dma_generic_alloc_coherent).
/// </summary>
public sealed class SwiotlbDmaOps : IDmaOps
{
    private readonly KernelContext _k;
    private readonly Swiotlb _pool;

    public SwiotlbDmaOps(KernelContext kernel, Swiotlb pool)
    {
        _k = kernel;
        _pool = pool;
    }

    public DmaOpsKind Kind => DmaOpsKind.Swiotlb;
    public string Name => "swiotlb_dma_ops";

    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp) =>
        // x86_swiotlb_alloc_coherent tries dma_generic_alloc_coherent first; the pool fallback of
        // swiotlb_alloc_coherent is not modelled (see docs/kernel-model.md).
        CoherentAllocators.GenericAllocCoherent(_k, dev, size, gfp);

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer) => _k.Pages.FreePages(buffer.Cpu, buffer.Order);

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        // swiotlb_map_page: a reachable buffer is used in place unless swiotlb=force.
        if (NommuDmaOps.LegacyCapable(dev.DmaMask, phys.Value, size) && !_k.Cmdline.SwiotlbForce)
            return DmaMapping.Success(DmaAddr.Identity(phys));
        var r = _pool.Map(dev.PciName, phys, size, dir);
        if (!r.IsMapped) return DmaMapping.Failure(r.Message ?? "swiotlb mapping failed");
        if (!NommuDmaOps.LegacyCapable(dev.DmaMask, r.Address.Value, size))
        {
            _k.Log("map_single: bounce buffer is not DMA'ble");
            return DmaMapping.Failure("map_single: bounce buffer is not DMA'ble");
        }
        return DmaMapping.Success(DmaAddr.Identity(r.Address));
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_pool.IsBounceAddress(addr.AsIdentity())) _pool.Unmap(addr.AsIdentity(), size, dir);
    }

    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_pool.IsBounceAddress(addr.AsIdentity())) _pool.SyncForCpu(addr.AsIdentity(), size, dir);
    }

    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_pool.IsBounceAddress(addr.AsIdentity())) _pool.SyncForDevice(addr.AsIdentity(), size, dir);
    }
}
