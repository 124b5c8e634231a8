using System.Collections.Immutable;
using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>`iommu:` — none, an inline description the simulator encodes as a DMAR table, or raw DMAR bytes.</summary>
public abstract record IommuConfig(SourceSpan Span);

/// <summary>`iommu: none` (also the default): no DMAR table at all.</summary>
public sealed record NoIommu(SourceSpan Span) : IommuConfig(Span);

/// <summary>
/// `iommu: { dmar-table: FILE, registers: [...] }`: raw ACPI DMAR bytes, <see cref="Path"/> as written, resolved
/// against the scenario's folder. <see cref="Registers"/> (optional) gives the VER/CAP/ECAP of the units at
/// some DRHD bases, as a real machine's kernel log printed them; other units report QEMU's values.
/// </summary>
public sealed record DmarTableIommu(string Path, string ResolvedPath, SourceSpan Span) : IommuConfig(Span)
{
    public ImmutableArray<UnitRegisters> Registers { get; init; } = [];
}

/// <summary>
/// A remapping unit's identification registers as a real unit reports them: raw 64-bit CAP and ECAP and the
/// VER register's major:minor. <see cref="Base"/> is set in a `registers:` list beside `dmar-table:`.
/// </summary>
public sealed record UnitRegisters(PhysAddr? Base, ulong Cap, ulong Ecap, int VersionMajor, int VersionMinor, SourceSpan Span)
{
    /// <summary>The VER register value (major in bits 7:4, minor in 3:0).</summary>
    public uint Version => (uint)((VersionMajor << 4) | VersionMinor);
}

/// <summary>An inline VT-d description: host address width, remapping units (DRHDs) and RMRRs.</summary>
public sealed record InlineIommu(
    int HostAddressWidth,
    ImmutableArray<IommuUnit> Units,
    ImmutableArray<RmrrEntry> Rmrr,
    SourceSpan Span) : IommuConfig(Span)
{
    /// <summary>`platform-opt-in: true`: the table's DMA_CTRL_PLATFORM_OPT_IN_FLAG (flags bit 2), the firmware's request for DMA protection.</summary>
    public bool PlatformOptIn { get; init; }

    /// <summary>`x2apic-opt-out: true`: the table's X2APIC_OPT_OUT flag (flags bit 1), the firmware's request that the OS keep xAPIC mode.</summary>
    public bool X2ApicOptOut { get; init; }

    /// <summary>
    /// `atsr`, `rhsa`, `andd`, `satc`: the table's other structures, in the order a table lists them (by type).
    /// The kernel parses and prints them; what they describe (ATS, NUMA affinity, ACPI name-space devices,
    /// SoC ATC) is not simulated beyond that (docs/scenario-format.md).
    /// </summary>
    public ImmutableArray<InlineDmarExtra> Extras { get; init; } = [];
}

/// <summary>One structure of an inline table besides DRHDs and RMRRs.</summary>
public abstract record InlineDmarExtra(SourceSpan Span);

/// <summary>ATSR (type 2): root ports that support ATS; <see cref="AllPorts"/> is flag bit 0 (every port of the segment).</summary>
public sealed record InlineAtsr(bool AllPorts, SourceSpan Span) : InlineDmarExtra(Span);

/// <summary>RHSA (type 3): the proximity domain of the unit at <see cref="Base"/>.</summary>
public sealed record InlineRhsa(PhysAddr Base, uint ProximityDomain, SourceSpan Span) : InlineDmarExtra(Span);

/// <summary>ANDD (type 4): an ACPI name-space device and the enumeration id device scopes use for it.</summary>
public sealed record InlineAndd(byte Device, string Name, SourceSpan Span) : InlineDmarExtra(Span);

/// <summary>SATC (type 5): SoC devices with an address translation cache; <see cref="AtcRequired"/> is flag bit 0.</summary>
public sealed record InlineSatc(bool AtcRequired, SourceSpan Span) : InlineDmarExtra(Span);

/// <summary>
/// One DMA remapping hardware unit (ACPI DRHD) with the capability bits a VT-d user tunes:
/// <list type="bullet">
/// <item><see cref="PassThrough"/> — ECAP.PT, hardware pass-through (translation type 2) supported.</item>
/// <item><see cref="Sagaw"/> — CAP.SAGAW as address widths (30, 39, 48, 57 = 2-, 3-, 4-, 5-level tables).</item>
/// <item><see cref="CachingMode"/> — CAP.CM: not-present entries may be cached, so the driver must flush
/// on map too (emulated IOMMUs set it).</item>
/// <item><see cref="QueuedInvalidation"/> — ECAP.QI: invalidations go through the queue, else through the
/// register-based CCMD/IOTLB interface.</item>
/// <item><see cref="Coherent"/> — ECAP.C: the walker snoops, so the driver need not clflush table writes.</item>
/// <item><see cref="FaultRecordingRegisters"/> — CAP.NFR + 1: how many faults are held before overflow.</item>
/// </list>
/// <see cref="Devices"/> is the device scope (empty for an include-pci-all unit, and possibly for an imported
/// unit whose scope the kernel log did not reveal).
/// </summary>
public sealed record IommuUnit(
    PhysAddr Base,
    bool IncludePciAll,
    bool PassThrough,
    ImmutableArray<int> Sagaw,
    ImmutableArray<PciBdf> Devices,
    bool CachingMode,
    bool QueuedInvalidation,
    bool Coherent,
    int FaultRecordingRegisters,
    SourceSpan Span)
{
    /// <summary>Raw registers (`cap:`, `ecap:`, `ver:`) of an imported real unit; when set they decide every capability.</summary>
    public UnitRegisters? Registers { get; init; }

    /// <summary>
    /// `devices-present: false` on a unit of unknown scope: none of its devices was present at boot (a log that shows the
    /// kernel ignoring the unit), so init_no_remapping_devices ignores it. Otherwise an empty scope counts as unknown.
    /// </summary>
    public bool NoPresentDevices { get; init; }

    /// <summary>`ioapic:` — enumeration ids of the unit's IOAPIC scope entries (interrupt remapping; a log prints them, not their paths).</summary>
    public ImmutableArray<int> IoApicIds { get; init; } = [];

    /// <summary>`hpet:` — enumeration ids of the unit's HPET scope entries.</summary>
    public ImmutableArray<int> HpetIds { get; init; } = [];
}

/// <summary>A reserved memory region report (ACPI RMRR): memory firmware keeps DMAing to for these devices.</summary>
public sealed record RmrrEntry(PhysAddr Start, PhysAddr End, ImmutableArray<PciBdf> Devices, SourceSpan Span)
{
    public PhysRange Range => new(Start, End);
}
