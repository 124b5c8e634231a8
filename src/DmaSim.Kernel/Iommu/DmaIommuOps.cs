using System.Runtime.CompilerServices;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// iommu_dma_ops (drivers/iommu/dma-iommu.c, modern): IOVAs from the range-cached allocator below the
/// device's mask (32-bit first for PCI devices unless forcedac), tables through the Intel domain, lazy
/// invalidation through the flush queue unless strict.
/// </summary>
public sealed class DmaIommuOps : IDmaOps
{
    private readonly KernelContext _k;
    private readonly IntelIommu _iommu;

    public DmaIommuOps(KernelContext kernel, IntelIommu iommu)
    {
        _k = kernel;
        _iommu = iommu;
    }

    public DmaOpsKind Kind => DmaOpsKind.IntelIommu;
    public string Name => "iommu_dma_ops";

    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp)
    {
        // iommu_dma_alloc: pages from anywhere (zone flags are irrelevant to the device view); the IOVA
        // is what must fit the coherent mask.
        var page = CoherentAllocators.AllocPagesFor(_k, dev, size, gfp & ~(Gfp.Dma | Gfp.Dma32));
        if (page is null) return null;
        var m = Map(dev, page.Value.Start, size, DmaDirection.Bidirectional, dev.CoherentDmaMask);
        if (!m.Ok)
        {
            _k.Pages.FreePages(page.Value.Start, page.Value.Order);
            return null;
        }
        return new CoherentBuffer(page.Value.Start, m.Address, size, page.Value.Order);
    }

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer)
    {
        UnmapPage(dev, buffer.Dma, buffer.Size, DmaDirection.Bidirectional);
        _k.Pages.FreePagesIfAllocated(buffer.Cpu, buffer.Order);
    }

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir) =>
        UntrustedBounceSlots.Needed(_k, dev, phys, size) ? MapBounced(dev, phys, size, dir) : Map(dev, phys, size, dir, dev.DmaMask);

    /// <summary>iommu_dma_map_page's bounce: the slot (<see cref="UntrustedBounceSlots"/>) is what gets mapped.</summary>
    private DmaMapping MapBounced(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        var r = UntrustedBounceSlots.Take(_k, dev, phys, size, dir);
        if (!r.IsMapped) return DmaMapping.Failure(r.Message ?? "swiotlb mapping failed");
        var m = Map(dev, r.Address, size, dir, dev.DmaMask);
        if (!m.Ok) UntrustedBounceSlots.Release(_k, r.Address, size);
        return m;
    }

    private DmaMapping Map(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir, ulong mask)
    {
        _iommu.Unmaps.Poll();
        var domain = _iommu.DomainOf(dev) as DmaDomain ?? throw new InvalidOperationException($"{dev} has no DMA default domain");
        var offset = phys.PageOffset;
        var pages = (offset + size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
        var pfn = AllocIova(dev, domain, pages, mask);
        if (pfn == 0) return IovaExhausted(dev, pages, mask);
        // dma_info_to_prot: BIDIR → R|W, TO_DEVICE → R, FROM_DEVICE → W.
        var read = dir is DmaDirection.ToDevice or DmaDirection.Bidirectional;
        var write = dir is DmaDirection.FromDevice or DmaDirection.Bidirectional;
        if (domain.Table.Map(new IovaPfn(pfn), new PhysPfn(phys.Pfn), pages, read, write).Status == Intel.Hw.MapStatus.OutOfMemory)
        {
            // __iommu_dma_map: iommu_map failed (-ENOMEM) → iommu_dma_free_iova, DMA_MAPPING_ERROR.
            domain.Table.Unmap(pfn, pages);
            domain.Iova.FreeIovaFast(pfn, pages);
            return DmaMapping.Failure(dev.PciName + ": no page left for VT-d page tables");
        }
        // intel_iommu_iotlb_sync_map (6.1: __mapping_notify_one for each unit in the domain's iommu_array): a
        // caching-mode unit needs a flush for non-present → present.
        foreach (var (unit, did) in domain.Dids)
            if (unit.Hw.CachingMode) unit.Hw.FlushIotlbPages(did, pfn, pages);
        return DmaMapping.Success(new DmaAddr((pfn << PhysAddr.PageShift) | offset));
    }

    // Out of line, as the warning below: a message's string handler would make every map's frame larger.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DmaMapping IovaExhausted(KernelDevice dev, ulong pages, ulong mask) =>
        DmaMapping.Failure($"{dev.PciName}: IOVA space exhausted ({pages} pages below {Hex.Format(mask)})");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UsingWideAddresses(KernelDevice dev, ulong limit) => _k.Log($"pci {dev.PciName}: Using {DmaMask.Width(limit)}-bit DMA addresses");

    /// <summary>
    /// iommu_dma_alloc_iova: limit = min(mask, aperture); PCI devices try below 4 GiB first without
    /// flushing the range caches (every call before "iommu: Optimise PCI SAC address trick", 6.5/6.6),
    /// then the full limit with a flush.
    /// </summary>
    private ulong AllocIova(KernelDevice dev, DmaDomain domain, ulong pages, ulong mask)
    {
        var limit = Math.Min(mask, domain.MaxAddress);
        var iovad = domain.Iova;
        if (!_k.Cmdline.ForceDac && dev.Pci32BitWorkaround && limit > DmaMask.Bits(32))
        {
            var low = iovad.AllocIovaFast(pages, DmaMask.Bits(32) >> PhysAddr.PageShift, false);
            if (low != 0) return low;
            if (_k.Profile.SacTrickGivesUp.Value)
            {
                // 6.4+: the device stops trying below 4 GiB and is told once (dev_notice; the model prints the bus's name, not the driver's).
                dev.Pci32BitWorkaround = false;
                UsingWideAddresses(dev, limit);
            }
        }
        return iovad.AllocIovaFast(pages, limit >> PhysAddr.PageShift, true);
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_iommu.DomainOf(dev) is not DmaDomain domain) return;
        var offset = addr.Value & (PhysAddr.PageSize - 1);
        var pages = (offset + size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift;
        var pfn = addr.Pfn;
        // iommu_iova_to_phys: one walk answers both "is anything mapped" and "is it a bounce slot"; for one page
        // the same walk then clears the leaf (iommu_unmap's), as nothing runs between the two.
        var leaf = pages == 1 ? domain.Table.LookupAndClear(pfn) : domain.Table.Lookup(pfn);
        if (!leaf.Present)
        {
            // iommu_dma_unmap_page: phys 0 → WARN_ON and return (double unmap).
            _k.Log("WARNING: iommu_dma_unmap_page: no mapping at IOVA " + Hex.Format(addr.Value) + " (double unmap?)");
            return;
        }
        var phys = PhysAddr.FromPfn(leaf.PhysPfn).Add(offset);
        if (pages != 1) domain.Table.Unmap(pfn, pages);
        // iommu_dma_unmap_page: a bounce slot goes back to swiotlb (copied back for the CPU) after the unmap.
        if (_k.Swiotlb is { } pool && pool.IsBounceAddress(phys)) pool.Unmap(phys, size, dir);
        var iovad = domain.Iova;
        if (_iommu.UnmapIsStrict(dev, domain))
        {
            foreach (var (unit, did) in domain.Dids) unit.Hw.FlushIotlbPages(did, pfn, pages);
            iovad.FreeIovaFast(pfn, pages);
        }
        else
        {
            _iommu.Unmaps.Add(domain, pfn, pages, DeferredUnmaps.IovaRelease.FreeFast);
        }
    }

    /// <summary>iommu_dma_sync_single_for_cpu: only a bounced mapping has anything to copy.</summary>
    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (UntrustedBounceSlots.SlotOf(_k, _iommu.DomainOf(dev)?.Table, addr) is { } slot) _k.Swiotlb!.SyncForCpu(slot, size, dir);
    }

    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (UntrustedBounceSlots.SlotOf(_k, _iommu.DomainOf(dev)?.Table, addr) is { } slot) _k.Swiotlb!.SyncForDevice(slot, size, dir);
    }
}
