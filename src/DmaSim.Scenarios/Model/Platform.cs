using System.Collections.Immutable;
using System.Globalization;
using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>`platform:` — the machine: address width, e820 map, IOMMU, firmware faults, PCI devices.</summary>
public sealed record PlatformConfig(
    int PhysicalAddressBits,
    ImmutableArray<MemoryRegion> Memory,
    IommuConfig Iommu,
    ImmutableArray<FirmwareFault> FirmwareFaults,
    ImmutableArray<DeviceConfig> Devices,
    SourceSpan Span)
{
    /// <summary>
    /// `root-buses`: root buses in the order the kernel scans them (ACPI host bridges in namespace order, then the peer
    /// buses x86 finds by probing); the rest follow in ascending order. Empty: ascending, bus 00 first.
    /// </summary>
    public ImmutableArray<byte> RootBuses { get; init; } = [];

    /// <summary>`x2apic: true`: the CPU supports x2APIC (CPUID.01H:ECX[21], the kernel's x2apic_supported()).</summary>
    public bool X2Apic { get; init; }

    /// <summary>The highest physical address the CPU can form (MAXPHYADDR).</summary>
    public PhysAddr MaxAddress => new(DmaMask.Bits(PhysicalAddressBits));
}

/// <summary>One e820 entry (inclusive range, as the kernel prints it).</summary>
public sealed record MemoryRegion(PhysRange Range, MemoryType Type, SourceSpan Span);

/// <summary>
/// A PCI bus/device/function in segment 0, as written in a scenario ("03:00.0"). Kept apart from the
/// hardware model's Bdf because the scenario layer depends on Core only.
/// </summary>
public readonly record struct PciBdf(byte Bus, byte Device, byte Function)
{
    /// <summary>Parses "bb:dd.f" (hex, as lspci prints), optionally with a "0000:" segment prefix.</summary>
    public static bool TryParse(string text, out PciBdf bdf)
    {
        bdf = default;
        var s = text;
        if (s.Length == 12 && s.StartsWith("0000:", StringComparison.Ordinal)) s = s[5..];
        if (s.Length != 7 || s[2] != ':' || s[5] != '.') return false;
        if (!IsHex2(s, 0) || !IsHex2(s, 3)) return false;
        var bus = byte.Parse(s.AsSpan(0, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var dev = byte.Parse(s.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if (dev > 0x1f || s[6] < '0' || s[6] > '7') return false;
        bdf = new PciBdf(bus, dev, (byte)(s[6] - '0'));
        return true;
    }

    private static bool IsHex2(string s, int at) => char.IsAsciiHexDigit(s[at]) && char.IsAsciiHexDigit(s[at + 1]);

    public override string ToString() => $"{Bus:x2}:{Device:x2}.{Function}";
}

/// <summary>
/// One PCI function. <see cref="AddressBits"/> is what the silicon drives for data, and
/// <see cref="DescriptorAddressBits"/> for its control structures; both are 0 for bridges, which only
/// forward. <see cref="SecondaryBus"/> is set for bridges only. <see cref="Driver"/> names an entry of the
/// driver catalogue (checked by the simulator, which owns the catalogue).
/// </summary>
public sealed record DeviceConfig(
    PciBdf Bdf,
    string Name,
    DeviceKind Model,
    bool Pcie,
    int AddressBits,
    int DescriptorAddressBits,
    FirmwareDmaKind FirmwareDma,
    int? SecondaryBus,
    string? Driver,
    SourceSpan Span)
{
    public bool IsBridge => Vocabulary.IsBridge(Model);

    /// <summary>
    /// `external-facing: true` on a bridge: the firmware marks the port external-facing (ACPI _DSD
    /// "ExternalFacingPort", Thunderbolt / USB4); Linux sets pdev->external_facing on it and pdev->untrusted on
    /// everything below it (drivers/pci/probe.c set_pcie_untrusted, pci-acpi.c pci_acpi_set_external_facing).
    /// </summary>
    public bool ExternalFacing { get; init; }

    /// <summary>`acs: true`: the function has an ACS capability with source validation, request and completion redirect and upstream forwarding (what Linux enables).</summary>
    public bool Acs { get; init; }

    /// <summary>`pci-id: "8086:3b42"`: vendor and device id, for the kernel's per-chip quirks; null when not given.</summary>
    public (ushort Vendor, ushort Device)? PciId { get; init; }

    /// <summary>`class: 0x0c0320` on an endpoint: its PCI class code (base, sub-class, prog-if); null = the model's own.</summary>
    public uint? ClassCode { get; init; }

    /// <summary>`driver: none`: no driver is bound, so the default workload does no DMA with the device (masks stay the PCI defaults).</summary>
    public bool NoDriver { get; init; }

    /// <summary>`driver:` as written (a kernel-log spelling such as `ehci-pci`): what the kernel's lines name the bound driver; <see cref="DeviceConfig.Driver"/> is the catalogue's name.</summary>
    public string? DriverString { get; init; }
}
