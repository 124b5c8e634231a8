using System.Collections.Frozen;
using System.Collections.Immutable;

namespace DmaSim.Scenarios;

/// <summary>e820 memory types; numeric values are the BIOS e820 type codes so they convert 1:1.</summary>
public enum MemoryType
{
    Usable = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
}

/// <summary>The device models a scenario can place on the PCI bus (`model:`).</summary>
public enum DeviceKind
{
    StorageController,
    UsbController,
    Scripted,
    PcieRootPort,
    PciBridge,
    PcieToPciBridge,
    /// <summary>The host bridge (00:00.0, class 0x0600): a type-0 function that does no DMA of its own.</summary>
    HostBridge,
}

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
}

/// <summary>`direction:`; numeric values are enum dma_data_direction's (include/linux/dma-direction.h).</summary>
public enum StepDirection
{
    Bidirectional = 0,
    ToDevice = 1,
    FromDevice = 2,
}

/// <summary>`outcome:` of a device over a whole run (worst wins).</summary>
public enum ExpectedOutcome
{
    Ok,
    Stall,
    Corruption,
    Fault,
    MapError,
    FirmwareFault,
    Panic,
}

/// <summary>`domain:` the kernel put a device in.</summary>
public enum ExpectedDomain
{
    /// <summary>Hardware pass-through: context entry translation type 2.</summary>
    Passthrough,

    /// <summary>Software 1:1 page tables (si_domain).</summary>
    Identity,

    /// <summary>A DMA domain handing out IOVAs.</summary>
    Translated,

    /// <summary>No IOMMU translation for this device.</summary>
    None,
}

/// <summary>`dma-ops:` the kernel gave a device.</summary>
public enum ExpectedDmaOps
{
    IntelIommu,
    Swiotlb,
    Direct,
}

/// <summary>
/// The kernel policy profile names: the eight of the contract (DESIGN.md, "Policy profiles") plus
/// linux-2.6.32.7, the 2.6.32 stable release with the probe-time BIOS checks (docs/seed-suite.md).
/// </summary>
public static class KnownProfiles
{
    public static ImmutableArray<string> Names { get; } =
    [
        "linux-2.6.31",
        "linux-2.6.32-rc5",
        "linux-2.6.32-rc5+alex",
        "linux-2.6.32-rc5+dwmw2",
        "linux-2.6.32",
        "linux-2.6.32.7",
        "linux-2.6.33",
        "linux-3.0",
        "linux-6.1",
    ];

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);
}

/// <summary>A two-way table between a vocabulary word as written in YAML and its enum value.</summary>
public sealed class VocabularyTable<T> where T : struct, Enum
{
    private readonly FrozenDictionary<string, T> _byName;
    private readonly FrozenDictionary<T, string> _byValue;

    internal VocabularyTable(params (string Name, T Value)[] entries)
    {
        Names = [.. entries.Select(e => e.Name)];
        _byName = entries.ToFrozenDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        _byValue = entries.ToFrozenDictionary(e => e.Value, e => e.Name);
    }

    /// <summary>The accepted words, in documentation order.</summary>
    public ImmutableArray<string> Names { get; }

    public bool TryParse(string name, out T value) => _byName.TryGetValue(name, out value);

    /// <summary>The YAML word for a value, for reports that echo the scenario's vocabulary.</summary>
    public string NameOf(T value) => _byValue[value];
}

/// <summary>Every closed word list of the `dmasim/v1` format (DESIGN.md, "Vocabulary the checks rely on").</summary>
public static class Vocabulary
{
    public static VocabularyTable<MemoryType> MemoryTypes { get; } = new(
        ("usable", MemoryType.Usable), ("reserved", MemoryType.Reserved), ("acpi", MemoryType.Acpi),
        ("nvs", MemoryType.Nvs), ("unusable", MemoryType.Unusable));

    public static VocabularyTable<DeviceKind> DeviceModels { get; } = new(
        ("storage-controller", DeviceKind.StorageController), ("usb-controller", DeviceKind.UsbController),
        ("scripted", DeviceKind.Scripted), ("pcie-root-port", DeviceKind.PcieRootPort),
        ("pci-bridge", DeviceKind.PciBridge), ("pcie-to-pci-bridge", DeviceKind.PcieToPciBridge),
        ("host-bridge", DeviceKind.HostBridge));

    public static VocabularyTable<FirmwareDmaKind> FirmwareDma { get; } = new(
        ("none", FirmwareDmaKind.None), ("rmrr", FirmwareDmaKind.Rmrr));

    public static VocabularyTable<FirmwareFault> FirmwareFaults { get; } = new(
        ("dmar-init-failure", FirmwareFault.DmarInitFailure), ("drhd-at-address-zero", FirmwareFault.DrhdAtAddressZero),
        ("drhd-registers-all-ones", FirmwareFault.DrhdRegistersAllOnes));

    public static VocabularyTable<RunJob> RunJobs { get; } = new(
        ("io", RunJob.Io), ("firmware-dma", RunJob.FirmwareDma));

    public static VocabularyTable<ScriptOp> Ops { get; } = new(
        ("alloc-coherent", ScriptOp.AllocCoherent), ("free-coherent", ScriptOp.FreeCoherent),
        ("map", ScriptOp.Map), ("unmap", ScriptOp.Unmap),
        ("sync-for-cpu", ScriptOp.SyncForCpu), ("sync-for-device", ScriptOp.SyncForDevice),
        ("dma-read", ScriptOp.DmaRead), ("dma-write", ScriptOp.DmaWrite),
        ("cpu-write", ScriptOp.CpuWrite), ("cpu-read", ScriptOp.CpuRead),
        ("set-mask", ScriptOp.SetMask), ("alloc-buffer", ScriptOp.AllocBuffer));

    public static VocabularyTable<StepDirection> Directions { get; } = new(
        ("to-device", StepDirection.ToDevice), ("from-device", StepDirection.FromDevice),
        ("bidirectional", StepDirection.Bidirectional));

    public static VocabularyTable<ExpectedOutcome> Outcomes { get; } = new(
        ("ok", ExpectedOutcome.Ok), ("stall", ExpectedOutcome.Stall), ("corruption", ExpectedOutcome.Corruption),
        ("fault", ExpectedOutcome.Fault), ("map-error", ExpectedOutcome.MapError),
        ("firmware-fault", ExpectedOutcome.FirmwareFault), ("panic", ExpectedOutcome.Panic));

    public static VocabularyTable<ExpectedDomain> Domains { get; } = new(
        ("passthrough", ExpectedDomain.Passthrough), ("identity", ExpectedDomain.Identity),
        ("translated", ExpectedDomain.Translated), ("none", ExpectedDomain.None));

    public static VocabularyTable<ExpectedDmaOps> DmaOps { get; } = new(
        ("intel-iommu", ExpectedDmaOps.IntelIommu), ("swiotlb", ExpectedDmaOps.Swiotlb), ("direct", ExpectedDmaOps.Direct));

    /// <summary>Bridges forward DMA but never originate it, so they take no driver, run or op.</summary>
    public static bool IsBridge(DeviceKind kind) =>
        kind is DeviceKind.PcieRootPort or DeviceKind.PciBridge or DeviceKind.PcieToPciBridge;
}
