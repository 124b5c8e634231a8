using DmaSim.Core;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// nommu_dma_ops (arch/x86/kernel/pci-nommu.c, 2.6.3x): the bus address is the physical address; a
/// buffer the mask cannot reach is refused (check_addr), nothing bounces.
/// </summary>
public sealed class NommuDmaOps : IDmaOps
{
    private readonly KernelContext _k;

    public NommuDmaOps(KernelContext kernel) => _k = kernel;

    public DmaOpsKind Kind => DmaOpsKind.Direct;
    public string Name => "nommu_dma_ops";

    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp) => CoherentAllocators.GenericAllocCoherent(_k, dev, size, gfp);

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer) => _k.Pages.FreePagesIfAllocated(buffer.Cpu, buffer.Order);

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        // check_addr: x86 dma_capable of the era is addr + size <= mask; the message is printed only for
        // masks of 32 bits or more, and the caller gets bad_dma_address.
        if (!LegacyCapable(dev.DmaMask, phys.Value, size))
        {
            var msg = $"nommu_map_single: overflow {phys.Value:x}+{size} of device mask {dev.DmaMask:x}";
            if (dev.DmaMask >= DmaMask.Bits(32)) _k.Log(msg);
            return DmaMapping.Failure(msg);
        }
        return DmaMapping.Success(DmaAddr.Identity(phys));
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir) { }
    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir) { }
    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir) { }

    /// <summary>dma_capable of arch/x86/include/asm/dma-mapping.h (2.6.32): addr + size &lt;= *dma_mask.</summary>
    public static bool LegacyCapable(ulong mask, ulong addr, ulong size) => addr + size >= addr && addr + size <= mask;
}
