using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// Bounce pages for untrusted devices: a buffer that does not fill whole pages is copied into a page-aligned
/// swiotlb slot whose padding is zeroed, so the device never sees the rest of the pages it shares with other
/// data. The Intel driver's bounce_map_single (5.4 – 5.10) and dma-iommu's iommu_dma_map_page (5.11+) make
/// the same decision and the same slot; only the dma ops around them differ.
/// </summary>
internal static class UntrustedBounceSlots
{
    /// <summary>device_needs_bounce / dev_use_swiotlb, and !IS_ALIGNED(paddr | size, VTD_PAGE_SIZE).</summary>
    public static bool Needed(KernelContext k, KernelDevice dev, PhysAddr phys, ulong size) =>
        k.Profile.UntrustedBounce.Value != UntrustedBounce.None && k.Swiotlb is not null
        && ((phys.Value | size) & (PhysAddr.PageSize - 1)) != 0 && DefaultDomains.Untrusted(k, dev);

    /// <summary>swiotlb_tbl_map_single with alloc size ALIGN(size, VTD_PAGE_SIZE), then the padding cleared:
    /// after the data for a mapping the device reads, all of it for one it only writes.</summary>
    public static SwiotlbMapResult Take(KernelContext k, KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        var aligned = AlignedSize(size);
        var r = k.Swiotlb!.Map(dev.PciName, phys, size, dir, allocSize: aligned, deviceLimit: dev.DmaMask);
        if (!r.IsMapped) return r;
        if (dir is DmaDirection.ToDevice or DmaDirection.Bidirectional) k.Memory.Fill(r.Address.Add(size), aligned - size, 0);
        else k.Memory.Fill(r.Address, aligned, 0);
        return r;
    }

    /// <summary>The slot returned to swiotlb without copying back (the IOMMU mapping failed).</summary>
    public static void Release(KernelContext k, PhysAddr slot, ulong size) => k.Swiotlb!.Unmap(slot, size, DmaDirection.ToDevice);

    /// <summary>iova_to_phys + is_swiotlb_buffer: the slot behind a DMA address, or null when it maps the buffer itself.</summary>
    public static PhysAddr? SlotOf(KernelContext k, DmaPageTable? table, DmaAddr addr)
    {
        if (k.Swiotlb is not { } pool || table is null) return null;
        var leaf = table.Lookup(addr.Pfn);
        if (!leaf.Present) return null;
        var phys = PhysAddr.FromPfn(leaf.PhysPfn).Add(addr.Value & (PhysAddr.PageSize - 1));
        return pool.IsBounceAddress(phys) ? phys : null;
    }

    private static ulong AlignedSize(ulong size) => (size + PhysAddr.PageSize - 1) & ~(PhysAddr.PageSize - 1);
}
