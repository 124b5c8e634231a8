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
}

/// <summary>A decision of the IOMMU layer about a device (identity / translated / moved), with the rule behind it.</summary>
public sealed record IommuDecisionEvent(string Device, string Decision, string Rule, string Source) : SimEvent;
