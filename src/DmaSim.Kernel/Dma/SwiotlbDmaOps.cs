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

    /// <summary>
    /// x86_swiotlb_alloc_coherent: dma_generic_alloc_coherent first; if no page fits the mask,
    /// swiotlb_alloc_coherent carves the buffer out of the bounce pool (lib/swiotlb.c: map_single with
    /// no original, DMA_FROM_DEVICE) and gives up (NULL) if even that is out of the device's reach.
    /// </summary>
    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp)
    {
        var generic = CoherentAllocators.GenericAllocCoherent(_k, dev, size, gfp);
        if (generic is not null) return generic;
        var r = _pool.Map(dev.PciName, new PhysAddr(0), size, DmaDirection.FromDevice);
        if (!r.IsMapped) return null;
        if (r.Address.Value + size > DmaApi.CoherentAllocMask(dev, gfp))
        {
            _k.Log($"hwdev DMA mask = 0x{DmaApi.CoherentAllocMask(dev, gfp):x16}, dev_addr = 0x{r.Address.Value:x16}");
            _pool.Unmap(r.Address, size, DmaDirection.ToDevice);
            return null;
        }
        _k.Memory.Fill(r.Address, size, 0);
        return new CoherentBuffer(r.Address, DmaAddr.Identity(r.Address), size, CoherentBuffer.PoolOrder);
    }

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer)
    {
        // swiotlb_free_coherent: a pool buffer goes back without a copy (unmapped as DMA_TO_DEVICE).
        if (_pool.IsBounceAddress(buffer.Cpu)) _pool.Unmap(buffer.Cpu, buffer.Size, DmaDirection.ToDevice);
        else _k.Pages.FreePagesIfAllocated(buffer.Cpu, buffer.Order);
    }

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        // swiotlb_map_page: a reachable buffer is used in place unless swiotlb=force.
        if (NommuDmaOps.LegacyCapable(dev.DmaMask, phys.Value, size) && !_k.Cmdline.SwiotlbForce)
            return DmaMapping.Success(DmaAddr.Identity(phys));
        var r = _pool.Map(dev.PciName, phys, size, dir, deviceLimit: dev.DmaMask);
        // swiotlb_full(dev, size, dir, 1) panics when the request is larger than the overflow buffer;
        // the pool already printed the panic line (lib/swiotlb.c, 2.6.3x).
        if (r.Status is SwiotlbMapStatus.Panic or SwiotlbMapStatus.NotReachable) throw new KernelPanicException(r.Message ?? "swiotlb", logged: true);
        if (!r.IsMapped) return DmaMapping.Failure(r.Message ?? "swiotlb mapping failed");
        // 2.6.32 lib/swiotlb.c swiotlb_map_page: if (!dma_capable(dev, dev_addr, size)) panic("map_single: bounce buffer is not DMA'ble").
        if (!NommuDmaOps.LegacyCapable(dev.DmaMask, r.Address.Value, size)) throw new KernelPanicException("map_single: bounce buffer is not DMA'ble");
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
