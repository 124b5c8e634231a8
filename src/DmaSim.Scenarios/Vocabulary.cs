using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>What firmware (BIOS/SMM) DMAs on a device's behalf (`firmware-dma:`).</summary>
public enum FirmwareDmaKind
{
    /// <summary>No firmware DMA.</summary>
    None,

    /// <summary>Firmware keeps DMAing into the device's RMRR (USB legacy emulation, the thread's SMM crash).</summary>
    Rmrr,
}

/// <summary>Platform firmware faults a scenario can inject (`firmware-faults:`).</summary>
public enum FirmwareFault
{
    /// <summary>The DMAR table is found, then VT-d initialisation fails, as with broken BIOSes.</summary>
    DmarInitFailure,

    /// <summary>The DMAR table gives the first DRHD a register base of zero (drivers/pci/dmar.c: "DMAR reported at address zero").</summary>
    DrhdAtAddressZero,

    /// <summary>Nothing answers at the first DRHD's register base: CAP/ECAP read all ones (the HP DC7900 BIOS bug).</summary>
    DrhdRegistersAllOnes,

    /// <summary>
    /// The BIOS enables interrupt remapping on a 5500/5520/X58 I/O hub with the draining erratum (early-quirks.c
    /// intel_remapping_check): the kernel refuses interrupt remapping, so the DMAR table is parsed late.
    /// </summary>
    IrqRemappingErratum,
}

/// <summary>A device model's built-in job (`run:`).</summary>
public enum RunJob
{
    /// <summary>Storage/USB I/O through the device's command ring.</summary>
    Io,

    /// <summary>Firmware DMA into the device's RMRR.</summary>
    FirmwareDma,
}

/// <summary>Scripted DMA-API and access operations (`op:`).</summary>
public enum ScriptOp
{
    AllocCoherent,
    FreeCoherent,
    Map,
    Unmap,
    SyncForCpu,
    SyncForDevice,
    DmaRead,
    DmaWrite,
    CpuWrite,
    CpuRead,
    SetMask,
    AllocBuffer,
    Unbind,
    MapSg,
    UnmapSg,
}

/// <summary>`direction:`; numeric values are enum dma_data_direction's (include/linux/dma-direction.h).</summary>
public enum StepDirection
{
    Bidirectional = 0,
    ToDevice = 1,
    FromDevice = 2,
}

/// <summary>`kernel: config: iommu-default-dma`: the build's default-domain Kconfig choice.</summary>
public enum DefaultDmaChoice
{
    Lazy,
    Strict,
    Passthrough,
}

/// <summary>The closed word lists only the `dmasim/v1` format speaks; the words other layers share are <see cref="ContractWords"/>.</summary>
public static class Vocabulary
{
    public static VocabularyTable<FirmwareDmaKind> FirmwareDma { get; } = new(
        ("none", FirmwareDmaKind.None), ("rmrr", FirmwareDmaKind.Rmrr));

    public static VocabularyTable<FirmwareFault> FirmwareFaults { get; } = new(
        ("dmar-init-failure", FirmwareFault.DmarInitFailure), ("drhd-at-address-zero", FirmwareFault.DrhdAtAddressZero),
        ("drhd-registers-all-ones", FirmwareFault.DrhdRegistersAllOnes), ("irq-remapping-erratum", FirmwareFault.IrqRemappingErratum));

    public static VocabularyTable<DefaultDmaChoice> DefaultDma { get; } = new(
        ("lazy", DefaultDmaChoice.Lazy), ("strict", DefaultDmaChoice.Strict), ("passthrough", DefaultDmaChoice.Passthrough));

    public static VocabularyTable<RunJob> RunJobs { get; } = new(
        ("io", RunJob.Io), ("firmware-dma", RunJob.FirmwareDma));

    public static VocabularyTable<ScriptOp> Ops { get; } = new(
        ("alloc-coherent", ScriptOp.AllocCoherent), ("free-coherent", ScriptOp.FreeCoherent),
        ("map", ScriptOp.Map), ("unmap", ScriptOp.Unmap),
        ("sync-for-cpu", ScriptOp.SyncForCpu), ("sync-for-device", ScriptOp.SyncForDevice),
        ("dma-read", ScriptOp.DmaRead), ("dma-write", ScriptOp.DmaWrite),
        ("cpu-write", ScriptOp.CpuWrite), ("cpu-read", ScriptOp.CpuRead),
        ("set-mask", ScriptOp.SetMask), ("alloc-buffer", ScriptOp.AllocBuffer),
        ("unbind", ScriptOp.Unbind), ("map-sg", ScriptOp.MapSg), ("unmap-sg", ScriptOp.UnmapSg));

    public static VocabularyTable<MapFunction> MapFunctions { get; } = new(
        ("map-single", MapFunction.MapSingle), ("map-page", MapFunction.MapPage));

    public static VocabularyTable<MapFunction> UnmapFunctions { get; } = new(
        ("unmap-single", MapFunction.MapSingle), ("unmap-page", MapFunction.MapPage));

    /// <summary>`finding:` kinds; the table itself lives in Core (<see cref="DmaSim.Core.FindingKinds"/>).</summary>
    public static VocabularyTable<DmaSim.Core.FindingKind> Findings { get; } = new([.. DmaSim.Core.FindingKinds.All]);

    public static VocabularyTable<StepDirection> Directions { get; } = new(
        ("to-device", StepDirection.ToDevice), ("from-device", StepDirection.FromDevice),
        ("bidirectional", StepDirection.Bidirectional));

    /// <summary>Bridges forward DMA but never originate it, so they take no driver, run or op.</summary>
    public static bool IsBridge(DeviceKind kind) => ContractWords.IsBridge(kind);
}
