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
