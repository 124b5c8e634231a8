using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>The page-allocating coherent allocators the different dma ops share.</summary>
public static class CoherentAllocators
{
    /// <summary>
    /// dma_generic_alloc_coherent (arch/x86/kernel/pci-dma.c, 2.6.3x): allocate, and if the page ends
    /// beyond the mask — tested as phys + size &gt; mask, one byte stricter than modern code — free it
    /// and, for masks under 32 bits, retry once from ZONE_DMA; otherwise fail. The handle is the
    /// physical address.
    /// </summary>
    public static CoherentBuffer? GenericAllocCoherent(KernelContext k, KernelDevice dev, ulong size, Gfp flags)
    {
        var mask = DmaApi.CoherentAllocMask(dev, flags);
        flags |= Gfp.Zero;
        var order = PageAllocator.GetOrder(size);
        while (true)
        {
            var page = k.Pages.AllocPages(order, flags, Owner(dev));
            if (page is null) return null;
            var addr = page.Value.Start.Value;
            if (addr + size > mask)
            {
                k.Pages.FreePages(page.Value.Start, order);
                if (mask < DmaMask.Bits(32) && (flags & Gfp.Dma) == 0)
                {
                    flags = (flags & ~Gfp.Dma32) | Gfp.Dma;
                    continue;
                }
                return null;
            }
            return new CoherentBuffer(page.Value.Start, DmaAddr.Identity(page.Value.Start), size, order);
        }
    }

    /// <summary>
    /// dma_direct_alloc / __dma_direct_alloc_pages (kernel/dma/direct.c): start in the zone the mask
    /// falls into (dma_direct_optimal_gfp_mask), and when the page is not dma_coherent_ok retry with
    /// GFP_DMA32, then GFP_DMA.
    /// </summary>
    public static CoherentBuffer? DirectAlloc(KernelContext k, KernelDevice dev, ulong size, Gfp flags)
    {
        var limit = dev.CoherentDmaMask;
        flags &= ~(Gfp.Dma | Gfp.Dma32);
        if (limit <= DmaMask.Bits(24)) flags |= Gfp.Dma;
        else if (limit <= DmaMask.Bits(32)) flags |= Gfp.Dma32;
        flags |= Gfp.Zero;
        var order = PageAllocator.GetOrder(size);
        while (true)
        {
            var page = k.Pages.AllocPages(order, flags, Owner(dev));
            if (page is null) return null;
            if (DmaMask.Admits(limit, page.Value.Start.Value, size))
                return new CoherentBuffer(page.Value.Start, DmaAddr.Identity(page.Value.Start), size, order);
            k.Pages.FreePages(page.Value.Start, order);
            if (limit < ulong.MaxValue && (flags & (Gfp.Dma32 | Gfp.Dma)) == 0) flags |= Gfp.Dma32;
            else if ((flags & Gfp.Dma) == 0) flags = (flags & ~Gfp.Dma32) | Gfp.Dma;
            else return null;
        }
    }

    /// <summary>Plain page allocation for a coherent buffer with the flags as given (intel_alloc_coherent).</summary>
    public static PageAllocation? AllocPagesFor(KernelContext k, KernelDevice dev, ulong size, Gfp flags) =>
        k.Pages.AllocPages(PageAllocator.GetOrder(size), flags | Gfp.Zero, Owner(dev));

    public static FrameOwner Owner(KernelDevice dev) => new(OwnerKind.CoherentBuffer, dev.Name);
}
