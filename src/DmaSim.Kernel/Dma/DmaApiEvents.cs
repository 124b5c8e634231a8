using DmaSim.Core;

namespace DmaSim.Kernel.Dma;

/// <summary>A DMA API call as the driver made it and what the kernel answered (the kernel's view).</summary>
public sealed record DmaApiEvent(
    string Device,
    string Call,
    ulong Size,
    PhysAddr? Cpu,
    DmaAddr? Dma,
    bool Ok,
    string Ops,
    string? Detail) : SimEvent
{
    /// <summary>The direction of a map, unmap or sync call.</summary>
    public DmaDirection? Direction { get; init; }

    /// <summary>For a scatterlist call: the entry counts dma-debug compares (sg_call_ents, sg_mapped_ents).</summary>
    public SgInfo? Sg { get; init; }
}

/// <summary>
/// A dma_alloc_coherent call (its <see cref="DmaApiEvent"/>), for observers that want only those (the run's tally of each
/// device's first coherent buffer, the coherent-mask check): a run that subscribes to this instead of every
/// <see cref="DmaApiEvent"/> builds no event for its maps and unmaps.
/// </summary>
public sealed record DmaCoherentAllocEvent(DmaApiEvent Call) : SimEvent;

/// <summary>
/// A DMA API call as the debug hooks of kernel/dma/mapping.c see it (debug_dma_map_page, debug_dma_unmap_page, …):
/// the same fields as <see cref="DmaApiEvent"/>, passed by value so the hook costs no allocation per call.
/// </summary>
public readonly record struct DmaApiCall(
    string Device,
    DmaApiCallKind Kind,
    ulong Size,
    PhysAddr? Cpu,
    DmaAddr? Dma,
    bool Ok,
    DmaDirection? Direction,
    SgInfo? Sg);

/// <summary>The DMA API entries a driver can call, by kernel function name (<see cref="DmaApiCalls.NameOf"/>).</summary>
public enum DmaApiCallKind
{
    SetMask,
    SetCoherentMask,
    AllocCoherent,
    FreeCoherent,
    MapSingle,
    MapPage,
    UnmapSingle,
    UnmapPage,
    MappingError,
    MapSg,
    UnmapSg,
    SyncSingleForCpu,
    SyncSingleForDevice,
    SyncSgForCpu,
    SyncSgForDevice,
}

/// <summary>The kernel's function name of each DMA API entry (what <see cref="DmaApiEvent.Call"/> holds).</summary>
public static class DmaApiCalls
{
    private static readonly string[] _names =
    [
        "dma_set_mask", "dma_set_coherent_mask", "dma_alloc_coherent", "dma_free_coherent",
        "dma_map_single", "dma_map_page", "dma_unmap_single", "dma_unmap_page", "dma_mapping_error",
        "dma_map_sg", "dma_unmap_sg", "dma_sync_single_for_cpu", "dma_sync_single_for_device",
        "dma_sync_sg_for_cpu", "dma_sync_sg_for_device",
    ];

    public static string NameOf(DmaApiCallKind kind) => _names[(int)kind];

    /// <summary>The entry of a kernel function name, or null for a name that is no DMA API entry.</summary>
    public static DmaApiCallKind? Parse(string name)
    {
        var i = Array.IndexOf(_names, name);
        return i < 0 ? null : (DmaApiCallKind)i;
    }
}

/// <summary>
/// CONFIG_DMA_API_DEBUG's entry points: every DMA API call is handed to the hook after the ops ran (and after its
/// <see cref="DmaApiEvent"/>, when anyone keeps or observes those), as mapping.c calls debug_dma_* after ops-&gt;map_page.
/// </summary>
public interface IDmaApiDebugHook
{
    void OnCall(in DmaApiCall call);

    /// <summary>A successful dma_map_single/dma_map_page: the same as <see cref="OnCall"/> with those fields, as plain values.</summary>
    void OnMap(string device, DmaApiCallKind kind, ulong dma, ulong size, ulong paddr, DmaDirection direction);

    /// <summary>dma_unmap_single/dma_unmap_page (no CPU address): the same as <see cref="OnCall"/> with those fields.</summary>
    void OnUnmap(string device, DmaApiCallKind kind, ulong dma, ulong size, DmaDirection direction);

    /// <summary>dma_mapping_error on a handle: the same as <see cref="OnCall"/> with those fields.</summary>
    void OnMappingError(string device, ulong dma);
}

/// <summary>The nents the driver passed and how many entries the map produced (0 on unmap/sync).</summary>
public readonly record struct SgInfo(int CallEnts, int MappedEnts);

/// <summary>Which single-buffer DMA-API entry a driver called (dma-debug of 2.6.3x tells single from page).</summary>
public enum DmaCall
{
    MapSingle,
    MapPage,
    UnmapSingle,
    UnmapPage,
}

/// <summary>The device's driver was unbound (the bus notifier's BUS_NOTIFY_UNBOUND_DRIVER).</summary>
public sealed record DriverUnboundEvent(string Device) : SimEvent;

/// <summary>A decision of the IOMMU layer about a device (identity / translated / moved), with the rule behind it.</summary>
public sealed record IommuDecisionEvent(string Device, string Decision, string Rule, string Source) : SimEvent;
