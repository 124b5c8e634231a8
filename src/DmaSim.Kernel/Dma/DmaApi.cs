using System.Runtime.CompilerServices;
using DmaSim.Core;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// The generic DMA API a driver calls. Every entry checks its arguments, dispatches to the device's
/// dma ops and records the call (kernel/dma/mapping.c shape); the x86 coherent front end of each era
/// computes the zone flags before the ops see them.
/// </summary>
public sealed class DmaApi
{
    private static readonly int _dmaApiEventId = EventStream.TypeIdOf<DmaApiEvent>();
    private static readonly int _coherentAllocEventId = EventStream.TypeIdOf<DmaCoherentAllocEvent>();
    private readonly KernelContext _k;

    public DmaApi(KernelContext kernel) => _k = kernel;

    /// <summary>Calls so far that map, unmap, sync, allocate or set a mask (dma_mapping_error only asks about a handle): the run's dma-api-calls counter.</summary>
    public long Calls { get; private set; }

    /// <summary>dma_set_mask: stores the mask only if dma_supported (returns 0 or -EIO).</summary>
    public int SetMask(KernelDevice dev, ulong mask)
    {
        if (!Supported(dev, mask)) { Record(dev, DmaApiCallKind.SetMask, 0, null, null, false, $"mask {Hex.Format(mask)} not supported (-EIO)"); return -5; }
        dev.DmaMask = mask;
        Record(dev, DmaApiCallKind.SetMask, 0, null, null, true, $"dma_mask {Hex.Format(mask)}");
        return 0;
    }

    /// <summary>dma_set_coherent_mask.</summary>
    public int SetCoherentMask(KernelDevice dev, ulong mask)
    {
        if (!Supported(dev, mask)) { Record(dev, DmaApiCallKind.SetCoherentMask, 0, null, null, false, $"mask {Hex.Format(mask)} not supported (-EIO)"); return -5; }
        dev.CoherentDmaMask = mask;
        Record(dev, DmaApiCallKind.SetCoherentMask, 0, null, null, true, $"coherent_dma_mask {Hex.Format(mask)}");
        return 0;
    }

    /// <summary>
    /// dma_supported. 2.6.3x x86 (arch/x86/kernel/pci-dma.c dma_supported): masks below 24 bits are
    /// refused, intel_dma_ops has no hook, everything else is accepted. Modern without ops
    /// (kernel/dma/direct.c dma_direct_supported): ≥ 32 bits always; smaller masks must cover
    /// min(top of RAM, 16 MiB); with dma-iommu ops any mask.
    /// </summary>
    public bool Supported(KernelDevice dev, ulong mask)
    {
        if (_k.Profile.DmaApiFrontEnd.Value == DmaApiFrontEnd.X86Legacy) return mask >= DmaMask.Bits(24);
        if (dev.Ops?.Kind == DmaOpsKind.IntelIommu) return true;
        if (mask >= DmaMask.Bits(32)) return true;
        var top = (_k.MaxPfn << PhysAddr.PageShift) - 1;
        return mask >= Math.Min(top, DmaMask.Bits(24));
    }

    public ulong GetRequiredMask(KernelDevice dev) => _k.RequiredMask(dev);

    /// <summary>dma_alloc_coherent with the era's front end.</summary>
    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp = Gfp.Kernel)
    {
        var ops = Ops(dev);
        // Both front ends strip the caller's zone bits: kernel/dma/mapping.c dma_alloc_attrs ("let the
        // implementation decide"); arch/x86/include/asm/dma-mapping.h dma_alloc_coherent (2.6.3x), which then
        // adds dma_alloc_coherent_gfp_flags: mask ≤ 24 bits → GFP_DMA; ≤ 32 bits → GFP_DMA32.
        var flags = gfp & ~(Gfp.Dma | Gfp.Dma32 | Gfp.HighMem);
        if (_k.Profile.DmaApiFrontEnd.Value == DmaApiFrontEnd.X86Legacy) flags |= FrontEndZoneFlags(dev, flags);
        var buf = ops.AllocCoherent(dev, size, flags);
        Record(dev, DmaApiCallKind.AllocCoherent, size, buf?.Cpu, buf?.Dma, buf is not null,
            buf is { } b ? $"front end passed {FormatGfp(flags)}; page {b.Cpu} came from ZONE_{ZoneName(b.Cpu)}" : $"front end passed {FormatGfp(flags)}; allocation failed");
        return buf;
    }

    /// <summary>dma_alloc_coherent_mask + dma_alloc_coherent_gfp_flags (2.6.3x x86).</summary>
    public static Gfp FrontEndZoneFlags(KernelDevice dev, Gfp flags)
    {
        var mask = CoherentAllocMask(dev, flags);
        if (mask <= DmaMask.Bits(24)) return Gfp.Dma;
        if (mask <= DmaMask.Bits(32) && (flags & Gfp.Dma) == 0) return Gfp.Dma32;
        return 0;
    }

    /// <summary>dma_alloc_coherent_mask: the coherent mask, or 24/32 bits when it is unset.</summary>
    public static ulong CoherentAllocMask(KernelDevice dev, Gfp flags) =>
        dev.CoherentDmaMask != 0 ? dev.CoherentDmaMask : (flags & Gfp.Dma) != 0 ? DmaMask.Bits(24) : DmaMask.Bits(32);

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer)
    {
        Ops(dev).FreeCoherent(dev, buffer);
        Record(dev, DmaApiCallKind.FreeCoherent, buffer.Size, buffer.Cpu, buffer.Dma, true, null);
    }

    /// <summary>dma_map_single / dma_map_page (both reach ops-&gt;map_page; the call name is what dma-debug records).</summary>
    public DmaMapping Map(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir, DmaCall call = DmaCall.MapSingle)
    {
        var name = KindOf(call);
        if (size == 0) return Fail(dev, phys, size, name, "zero-length mapping");
        var m = Ops(dev).MapPage(dev, phys, size, dir);
        Calls++; // counted once the call returns, as its event is (a panic inside the ops ends the run first)
        if (_k.Events.Wants(_dmaApiEventId)) EmitCall(dev, name, size, phys, m.Ok ? m.Address : null, m.Ok, m.Ok ? DirName(dir) : m.Error, dir, null);
        // A failed map has no handle for dma-debug to track (debug_dma_map_page returns on dma_mapping_error).
        if (m.Ok) _k.DmaApiDebug?.OnMap(dev.Name, name, m.Address.Value, size, phys.Value, dir);
        return m;
    }

    /// <summary>dma_unmap_single / dma_unmap_page with whatever size and direction the driver passes.</summary>
    public void Unmap(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir, DmaCall call = DmaCall.UnmapSingle)
    {
        // kernel/dma/mapping.c dma_unmap_page_attrs: the ops unmap first, then debug_dma_unmap_page.
        Ops(dev).UnmapPage(dev, addr, size, dir);
        Calls++;
        var kind = KindOf(call);
        if (_k.Events.Wants(_dmaApiEventId)) EmitCall(dev, kind, size, null, addr, true, DirName(dir), dir, null);
        _k.DmaApiDebug?.OnUnmap(dev.Name, kind, addr.Value, size, dir);
    }

    /// <summary>dma_mapping_error: the driver asks whether a handle is the error value (dma-debug marks the entry checked).</summary>
    public bool MappingError(KernelDevice dev, DmaAddr addr, bool failed)
    {
        if (_k.Events.Wants(_dmaApiEventId)) EmitCall(dev, DmaApiCallKind.MappingError, 0, null, addr, true, failed ? "error" : null, null, null);
        _k.DmaApiDebug?.OnMappingError(dev.Name, addr.Value);
        return failed;
    }

    /// <summary>
    /// dma_map_sg, one ops-&gt;map_page per entry (the dma-direct shape; intel and dma-iommu ops would merge
    /// the entries into one IOVA range, which the model does not). All or nothing: a failed entry unmaps
    /// the ones before it and the call returns no segments, as dma_map_sg returns 0.
    /// </summary>
    public IReadOnlyList<DmaAddr>? MapSg(KernelDevice dev, IReadOnlyList<(PhysAddr Phys, ulong Size)> sg, DmaDirection dir)
    {
        var done = new List<DmaAddr>(sg.Count);
        foreach (var (phys, size) in sg)
        {
            var m = Ops(dev).MapPage(dev, phys, size, dir);
            if (m.Ok) { done.Add(m.Address); continue; }
            for (var i = 0; i < done.Count; i++) Ops(dev).UnmapPage(dev, done[i], sg[i].Size, dir);
            Record(dev, DmaApiCallKind.MapSg, size, phys, null, false, m.Error, dir);
            return null;
        }
        for (var i = 0; i < sg.Count; i++)
            Record(dev, DmaApiCallKind.MapSg, sg[i].Size, sg[i].Phys, done[i], true, DirName(dir), dir, new SgInfo(sg.Count, done.Count));
        return done;
    }

    /// <summary>dma_unmap_sg: each entry unmapped with the size it was mapped with.</summary>
    public void UnmapSg(KernelDevice dev, IReadOnlyList<(PhysAddr Phys, DmaAddr Dma, ulong Size)> sg, DmaDirection dir)
    {
        foreach (var (_, dma, size) in sg) Ops(dev).UnmapPage(dev, dma, size, dir);
        foreach (var (phys, dma, size) in sg)
            Record(dev, DmaApiCallKind.UnmapSg, size, phys, dma, true, DirName(dir), dir, new SgInfo(sg.Count, 0));
    }

    /// <summary>dma_sync_sg_for_cpu / _for_device: each entry synced.</summary>
    public void SyncSg(KernelDevice dev, IReadOnlyList<(PhysAddr Phys, DmaAddr Dma, ulong Size)> sg, DmaDirection dir, bool forCpu)
    {
        foreach (var (phys, dma, size) in sg)
        {
            if (forCpu) Ops(dev).SyncForCpu(dev, dma, size, dir);
            else Ops(dev).SyncForDevice(dev, dma, size, dir);
            Record(dev, forCpu ? DmaApiCallKind.SyncSgForCpu : DmaApiCallKind.SyncSgForDevice, size, phys, dma, true, DirName(dir), dir, new SgInfo(sg.Count, 0));
        }
    }

    /// <summary>The driver is unbound from the device (BUS_NOTIFY_UNBOUND_DRIVER); mappings are left as they are.</summary>
    public void Unbind(KernelDevice dev) => _k.Events.Emit(new DriverUnboundEvent(dev.Name));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DmaApiCallKind KindOf(DmaCall call) => call switch
    {
        DmaCall.MapPage => DmaApiCallKind.MapPage,
        DmaCall.UnmapSingle => DmaApiCallKind.UnmapSingle,
        DmaCall.UnmapPage => DmaApiCallKind.UnmapPage,
        _ => DmaApiCallKind.MapSingle,
    };

    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        Ops(dev).SyncForCpu(dev, addr, size, dir);
        Record(dev, DmaApiCallKind.SyncSingleForCpu, size, null, addr, true, DirName(dir), dir);
    }

    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        Ops(dev).SyncForDevice(dev, addr, size, dir);
        Record(dev, DmaApiCallKind.SyncSingleForDevice, size, null, addr, true, DirName(dir), dir);
    }

    private static IDmaOps Ops(KernelDevice dev) => dev.Ops ?? NoOps(dev);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IDmaOps NoOps(KernelDevice dev) => throw new InvalidOperationException($"{dev} has no dma ops (the kernel did not probe it)");

    private DmaMapping Fail(KernelDevice dev, PhysAddr phys, ulong size, DmaApiCallKind call, string why)
    {
        Record(dev, call, size, phys, null, false, why);
        return DmaMapping.Failure(why);
    }

    /// <summary>
    /// The call's event (built only when someone keeps or observes it: sweeps and benchmarks do not), then
    /// dma-debug's hook with the same fields by value (kernel/dma/mapping.c: debug_dma_* after the ops).
    /// </summary>
    private void Record(KernelDevice dev, DmaApiCallKind call, ulong size, PhysAddr? cpu, DmaAddr? dma, bool ok, string? detail, DmaDirection? dir = null, SgInfo? sg = null)
    {
        Calls++;
        var coherentWanted = call == DmaApiCallKind.AllocCoherent && _k.Events.Wants(_coherentAllocEventId);
        if (_k.Events.Wants(_dmaApiEventId) || coherentWanted)
        {
            var e = EmitCall(dev, call, size, cpu, dma, ok, detail, dir, sg);
            if (coherentWanted) _k.Events.Emit(new DmaCoherentAllocEvent(e));
        }
        _k.DmaApiDebug?.OnCall(new DmaApiCall(dev.Name, call, size, cpu, dma, ok, dir, sg));
    }

    // Out of line: map, unmap and dma_mapping_error hand dma-debug plain values and build the event only here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DmaApiEvent EmitCall(KernelDevice dev, DmaApiCallKind call, ulong size, PhysAddr? cpu, DmaAddr? dma, bool ok, string? detail, DmaDirection? dir, SgInfo? sg) =>
        _k.Events.Emit(new DmaApiEvent(dev.Name, DmaApiCalls.NameOf(call), size, cpu, dma, ok, dev.Ops?.Name ?? "none", detail) { Direction = dir, Sg = sg });

    private string ZoneName(PhysAddr a) => _k.Pages.ZoneOf(a) switch
    {
        ZoneType.Dma => "DMA",
        ZoneType.Dma32 => "DMA32",
        ZoneType.Normal => "NORMAL",
        _ => "?",
    };

    public static string DirName(DmaDirection d) => d switch
    {
        DmaDirection.ToDevice => "DMA_TO_DEVICE",
        DmaDirection.FromDevice => "DMA_FROM_DEVICE",
        DmaDirection.Bidirectional => "DMA_BIDIRECTIONAL",
        _ => "DMA_NONE",
    };

    public static string FormatGfp(Gfp g)
    {
        var parts = new List<string> { "GFP_KERNEL" };
        if ((g & Gfp.Dma) != 0) parts.Add("GFP_DMA");
        if ((g & Gfp.Dma32) != 0) parts.Add("GFP_DMA32");
        if ((g & Gfp.Zero) != 0) parts.Add("__GFP_ZERO");
        return string.Join('|', parts);
    }
}
