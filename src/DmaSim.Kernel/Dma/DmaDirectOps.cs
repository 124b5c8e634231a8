using System.Runtime.CompilerServices;
using DmaSim.Core;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// dma-direct (kernel/dma/direct.c, direct.h; modern): physical addresses; a buffer beyond the mask
/// bounces through swiotlb when a pool exists, else the map fails with the kernel's warning.
/// </summary>
public sealed class DmaDirectOps : IDmaOps
{
    private readonly KernelContext _k;

    public DmaDirectOps(KernelContext kernel) => _k = kernel;

    public DmaOpsKind Kind => DmaOpsKind.Direct;
    public string Name => "dma-direct";

    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp) => CoherentAllocators.DirectAlloc(_k, dev, size, gfp);

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer) => _k.Pages.FreePagesIfAllocated(buffer.Cpu, buffer.Order);

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        var pool = _k.Swiotlb;
        // dma_direct_map_page: swiotlb=force bounces everything; otherwise only what dma_capable refuses.
        if (pool is not null && _k.Cmdline.SwiotlbForce) return Bounce(dev, pool, phys, size, dir);
        if (DmaMask.Admits(dev.DmaMask, phys.Value, size)) return DmaMapping.Success(DmaAddr.Identity(phys));
        if (pool is not null) return Bounce(dev, pool, phys, size, dir);
        return Overflow(dev, phys, size);
    }

    // Out of line: the message's string handler would make every map's frame larger.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DmaMapping Overflow(KernelDevice dev, PhysAddr phys, ulong size)
    {
        var msg = $"DMA addr {Hex.Format(phys.Value, 16)}+{size} overflow (mask {dev.DmaMask:x}, bus limit 0).";
        _k.Log($"{dev.Pci.Name} {dev.PciName}: {msg}");
        return DmaMapping.Failure(msg);
    }

    private DmaMapping Bounce(KernelDevice dev, Swiotlb pool, PhysAddr phys, ulong size, DmaDirection dir)
    {
        var r = pool.Map(dev.PciName, phys, size, dir, deviceLimit: dev.DmaMask);
        if (!r.IsMapped) return DmaMapping.Failure(r.Message ?? "swiotlb mapping failed");
        // swiotlb_map: the bounce slot itself must be reachable.
        if (!DmaMask.Admits(dev.DmaMask, r.Address.Value, size)) return SlotOverflow(dev, pool, r.Address, size, dir);
        return DmaMapping.Success(DmaAddr.Identity(r.Address));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DmaMapping SlotOverflow(KernelDevice dev, Swiotlb pool, PhysAddr slot, ulong size, DmaDirection dir)
    {
        pool.Unmap(slot, size, dir);
        var msg = $"swiotlb addr {Hex.Format(slot.Value, 16)}+{size} overflow (mask {dev.DmaMask:x}, bus limit 0).";
        _k.Log($"{dev.Pci.Name} {dev.PciName}: {msg}");
        return DmaMapping.Failure(msg);
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_k.Swiotlb is { } pool && pool.IsBounceAddress(addr.AsIdentity())) pool.Unmap(addr.AsIdentity(), size, dir);
    }

    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_k.Swiotlb is { } pool && pool.IsBounceAddress(addr.AsIdentity())) pool.SyncForCpu(addr.AsIdentity(), size, dir);
    }

    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (_k.Swiotlb is { } pool && pool.IsBounceAddress(addr.AsIdentity())) pool.SyncForDevice(addr.AsIdentity(), size, dir);
    }
}
