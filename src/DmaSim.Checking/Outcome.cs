namespace DmaSim.Checking;

/// <summary>
/// Per-device outcome of a run, worst wins (order of this enum). Contract names: ok, map-error, fault,
/// stall, corruption, firmware-fault, panic.
/// </summary>
public enum Outcome
{
    Ok,
    /// <summary>A DMA-API call failed (swiotlb full, IOVA space exhausted, mask refused).</summary>
    MapError,
    /// <summary>The IOMMU blocked a DMA of the device.</summary>
    Fault,
    /// <summary>The device read control data from a place the driver never wrote.</summary>
    Stall,
    /// <summary>A device write landed in memory the buffer does not own (or read data from the wrong place).</summary>
    Corruption,
    /// <summary>Firmware DMA into an RMRR was blocked: the SMM handler crashes the box.</summary>
    FirmwareFault,
    /// <summary>The simulated kernel panicked (legacy swiotlb overflow, IOMMU_WAIT_OP timeout); nothing runs after it.</summary>
    Panic,
}

public static class OutcomeNames
{
    public static string Of(Outcome o) => o switch
    {
        Outcome.Ok => "ok",
        Outcome.MapError => "map-error",
        Outcome.Fault => "fault",
        Outcome.Stall => "stall",
        Outcome.Corruption => "corruption",
        Outcome.FirmwareFault => "firmware-fault",
        Outcome.Panic => "panic",
        _ => o.ToString().ToLowerInvariant(),
    };

    public static Outcome? Parse(string name) => name switch
    {
        "ok" => Outcome.Ok,
        "map-error" => Outcome.MapError,
        "fault" => Outcome.Fault,
        "stall" => Outcome.Stall,
        "corruption" => Outcome.Corruption,
        "firmware-fault" => Outcome.FirmwareFault,
        "panic" => Outcome.Panic,
        _ => null,
    };
}

/// <summary>One thing a checker found: its kind, the device, the outcome it implies and a sentence.</summary>
public sealed record Finding(string Kind, string Device, Outcome Outcome, string Message);
