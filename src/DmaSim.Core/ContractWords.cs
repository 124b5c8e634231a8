using System.Collections.Immutable;

namespace DmaSim.Core;

/// <summary>
/// Per-device outcome of a run, worst wins (the order of this enum). Words: <see cref="ContractWords.Outcomes"/>.
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
    /// <summary>The simulated kernel panicked; the run stops there (the format accepts it; no model reports it yet).</summary>
    Panic,
}

/// <summary>The domain the kernel put a device in. Words: <see cref="ContractWords.Domains"/>.</summary>
public enum DeviceDomain
{
    /// <summary>No IOMMU translation for this device.</summary>
    None,
    /// <summary>Hardware pass-through: context entry translation type 2.</summary>
    PassThrough,
    /// <summary>Software 1:1 page tables (si_domain with multi-level tables).</summary>
    Identity,
    /// <summary>A DMA domain with IOVAs.</summary>
    Translated,
}

/// <summary>The dma ops families the contract distinguishes. Words: <see cref="ContractWords.DmaOps"/>.</summary>
public enum DmaOpsKind
{
    /// <summary>nommu_dma_ops / dma-direct: physical addresses.</summary>
    Direct,
    /// <summary>swiotlb_dma_ops: physical addresses, bouncing what the mask cannot reach.</summary>
    Swiotlb,
    /// <summary>intel_dma_ops (2.6.3x) or dma-iommu (modern): the IOMMU decides.</summary>
    IntelIommu,
}

/// <summary>e820 memory types; numeric values are the BIOS e820 type codes. Words: <see cref="ContractWords.MemoryTypes"/>.</summary>
public enum MemoryType
{
    Usable = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
}

/// <summary>The device models a scenario can place on the PCI bus. Words: <see cref="ContractWords.DeviceModels"/>.</summary>
public enum DeviceKind
{
    StorageController,
    UsbController,
    Scripted,
    PcieRootPort,
    PciBridge,
    PcieToPciBridge,
    PcieUpstreamPort,
    PcieDownstreamPort,
    /// <summary>The host bridge (00:00.0, class 0x0600): a type-0 function that does no DMA of its own.</summary>
    HostBridge,
}

/// <summary>A two-way table between a contract word as written in YAML, JSON and reports and its enum value.</summary>
public sealed class VocabularyTable<T> where T : struct, Enum
{
    // Plain arrays searched in order: a table has at most a dozen words, and a frozen dictionary per enum type
    // (value-type generics are compiled once per type) cost a sweep process more start-up than all its look-ups.
    private readonly string[] _names;
    private readonly T[] _values;

    public VocabularyTable(params (string Name, T Value)[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _names = new string[entries.Length];
        _values = new T[entries.Length];
        // Loops rather than LINQ: every generic LINQ path over a value type is compiled anew for each enum.
        for (var i = 0; i < entries.Length; i++)
        {
            for (var j = 0; j < i; j++)
                if (_names[j] == entries[i].Name || EqualityComparer<T>.Default.Equals(_values[j], entries[i].Value))
                    throw new ArgumentException($"a vocabulary names each word and each value once ('{entries[i].Name}')", nameof(entries));
            _names[i] = entries[i].Name;
            _values[i] = entries[i].Value;
        }
        Names = ImmutableArray.Create(_names);
    }

    /// <summary>The accepted words, in documentation order.</summary>
    public ImmutableArray<string> Names { get; }

    public bool TryParse(string name, out T value)
    {
        var i = Array.IndexOf(_names, name);
        value = i >= 0 ? _values[i] : default;
        return i >= 0;
    }

    /// <summary>The word for a value, as the scenario format and the result contract write it.</summary>
    public string NameOf(T value)
    {
        var i = IndexOfValue(value);
        return i >= 0 ? _names[i] : throw new KeyNotFoundException($"no word for {typeof(T).Name} value {value}");
    }

    private int IndexOfValue(T value)
    {
        for (var i = 0; i < _values.Length; i++)
            if (EqualityComparer<T>.Default.Equals(_values[i], value)) return i;
        return -1;
    }
}

/// <summary>
/// The words of the contract (DESIGN.md, "Vocabulary the checks rely on"; docs/scenario-format.md) that more
/// than one layer speaks: the scenario loader parses them, the kernel and checker produce the enums, reports
/// print them. One table per word list, in documentation order.
/// </summary>
public static class ContractWords
{
    public static VocabularyTable<Outcome> Outcomes { get; } = new(
        ("ok", Outcome.Ok), ("stall", Outcome.Stall), ("corruption", Outcome.Corruption),
        ("fault", Outcome.Fault), ("map-error", Outcome.MapError),
        ("firmware-fault", Outcome.FirmwareFault), ("panic", Outcome.Panic));

    public static VocabularyTable<DeviceDomain> Domains { get; } = new(
        ("passthrough", DeviceDomain.PassThrough), ("identity", DeviceDomain.Identity),
        ("translated", DeviceDomain.Translated), ("none", DeviceDomain.None));

    public static VocabularyTable<DmaOpsKind> DmaOps { get; } = new(
        ("intel-iommu", DmaOpsKind.IntelIommu), ("swiotlb", DmaOpsKind.Swiotlb), ("direct", DmaOpsKind.Direct));

    public static VocabularyTable<MemoryType> MemoryTypes { get; } = new(
        ("usable", MemoryType.Usable), ("reserved", MemoryType.Reserved), ("acpi", MemoryType.Acpi),
        ("nvs", MemoryType.Nvs), ("unusable", MemoryType.Unusable));

    public static VocabularyTable<DeviceKind> DeviceModels { get; } = new(
        ("storage-controller", DeviceKind.StorageController), ("usb-controller", DeviceKind.UsbController),
        ("scripted", DeviceKind.Scripted), ("pcie-root-port", DeviceKind.PcieRootPort),
        ("pci-bridge", DeviceKind.PciBridge), ("pcie-to-pci-bridge", DeviceKind.PcieToPciBridge),
        ("pcie-upstream-port", DeviceKind.PcieUpstreamPort), ("pcie-downstream-port", DeviceKind.PcieDownstreamPort), ("host-bridge", DeviceKind.HostBridge));

    /// <summary>Bridges and ports: they forward other devices' DMA and do none of their own.</summary>
    public static bool IsBridge(DeviceKind kind) =>
        kind is DeviceKind.PcieRootPort or DeviceKind.PciBridge or DeviceKind.PcieToPciBridge
            or DeviceKind.PcieUpstreamPort or DeviceKind.PcieDownstreamPort;

    /// <summary>The word JSON and text reports print for a device without dma ops (a bridge).</summary>
    public const string NoDmaOps = "none";

    /// <summary>The dma-ops word of a device, or "none" when the kernel gave it none.</summary>
    public static string DmaOpsName(DmaOpsKind? kind) => kind is { } k ? DmaOps.NameOf(k) : NoDmaOps;
}
