using System.Collections.Immutable;
using System.Globalization;
using DmaSim.Hardware.Pci;

namespace DmaSim.Hardware.Acpi;

/// <summary>
/// Remapping structure types of the DMAR table (ACPICA <c>enum AcpiDmarType</c>, include/acpi/actbl1.h;
/// VT-d spec §8.1; shared/reference/vtd-hardware.md §7.2). Values ≥ 7 are reserved.
/// </summary>
public enum DmarStructureType : ushort
{
    Drhd = 0,
    Rmrr = 1,
    Atsr = 2,
    Rhsa = 3,
    Andd = 4,
    Satc = 5,
    Sidp = 6,
}

/// <summary>Device scope entry types (VT-d spec §8.3.1; ACPICA <c>ACPI_DMAR_SCOPE_TYPE_*</c>). 0 and ≥ 6 are reserved.</summary>
public enum DeviceScopeType : byte
{
    Endpoint = 1,
    Bridge = 2,
    IoApic = 3,
    Hpet = 4,
    AcpiNamespace = 5,
}

/// <summary>One (device, function) hop of a device scope path, printed "dd.f" like lspci.</summary>
public readonly record struct PciPathEntry(byte Device, byte Function)
{
    public override string ToString() =>
        Device.ToString("x2", CultureInfo.InvariantCulture) + "." + Function.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>
/// A device scope entry (6 + 2·n bytes, vtd-hardware.md §7.3). <see cref="Flags"/> and <see cref="Reserved"/> are
/// bytes 2 and 3 (a 2-byte reserved field before VT-d 3.4), kept so re-encoding is byte-exact.
/// </summary>
public sealed record DeviceScope(
    DeviceScopeType Type,
    byte EnumerationId,
    byte StartBus,
    ImmutableArray<PciPathEntry> Path,
    byte Flags = 0,
    byte Reserved = 0,
    int Offset = 0)
{
    /// <summary>The path hops; never default (a default array becomes empty).</summary>
    public ImmutableArray<PciPathEntry> Path { get; init; } = Path.IsDefault ? [] : Path;

    public bool Equals(DeviceScope? other) =>
        other is not null && Type == other.Type && EnumerationId == other.EnumerationId && StartBus == other.StartBus
        && Flags == other.Flags && Reserved == other.Reserved && Offset == other.Offset && Path.SequenceEqual(other.Path);

    public override int GetHashCode() => HashCode.Combine(Type, EnumerationId, StartBus, Path.Length, Offset);

    /// <summary>Encoded length: 6 + 2 per path entry.</summary>
    public int Length => 6 + (2 * Path.Length);

    /// <summary>True for the scope types the VT-d spec defines (1–5); Linux warns "Unsupported device scope" for others.</summary>
    public bool IsKnownType => Type is >= DeviceScopeType.Endpoint and <= DeviceScopeType.AcpiNamespace;

    /// <summary>A PCI endpoint named by its address (start bus = its bus, one path hop).</summary>
    public static DeviceScope Endpoint(Bdf bdf) => new(DeviceScopeType.Endpoint, 0, bdf.Bus, [new PciPathEntry(bdf.Device, bdf.Function)]);

    /// <summary>A PCI bridge (sub-hierarchy) named by its address.</summary>
    public static DeviceScope Bridge(Bdf bdf) => new(DeviceScopeType.Bridge, 0, bdf.Bus, [new PciPathEntry(bdf.Device, bdf.Function)]);

    /// <summary>An I/O APIC with the given APIC id, at the given pseudo PCI address.</summary>
    public static DeviceScope IoApic(byte apicId, Bdf bdf) => new(DeviceScopeType.IoApic, apicId, bdf.Bus, [new PciPathEntry(bdf.Device, bdf.Function)]);

    /// <summary>An MSI-capable HPET with the given number, at the given pseudo PCI address.</summary>
    public static DeviceScope Hpet(byte hpetNumber, Bdf bdf) => new(DeviceScopeType.Hpet, hpetNumber, bdf.Bus, [new PciPathEntry(bdf.Device, bdf.Function)]);

    /// <summary>"bb:dd.f" when the path is one hop (the common case), else "bb:[dd.f/dd.f...]".</summary>
    public string Describe() =>
        Path.Length == 1
            ? new Bdf(StartBus, Path[0].Device, Path[0].Function).ToString()
            : StartBus.ToString("x2", CultureInfo.InvariantCulture) + ":[" + string.Join("/", Path) + "]";
}

/// <summary>One remapping structure of the DMAR table, with where it sits in the table.</summary>
/// <param name="Offset">Byte offset of the structure in the table (0 for structures not yet encoded).</param>
/// <param name="Length">The structure's Length field as read (0 for structures not yet encoded).</param>
public abstract record DmarStructure(int Offset, int Length)
{
    /// <summary>The 16-bit type code as it appears in the table.</summary>
    public abstract ushort TypeCode { get; }

    /// <summary>Short name: DRHD, RMRR, ATSR, RHSA, ANDD, SATC, SIDP, or "unknown".</summary>
    public abstract string Kind { get; }

    /// <summary>The device scopes, empty for types that have none.</summary>
    public virtual ImmutableArray<DeviceScope> Scopes => [];
}

/// <summary>DMA Remapping Hardware unit Definition (type 0, 16 bytes + scopes).</summary>
public sealed record Drhd(int Offset, int Length, byte Flags, byte Size, ushort Segment, ulong RegisterBase, ImmutableArray<DeviceScope> DeviceScopes)
    : DmarStructure(Offset, Length)
{
    /// <summary>The device scopes as declared; never default (a default array becomes empty).</summary>
    public ImmutableArray<DeviceScope> DeviceScopes { get; init; } = DeviceScopes.IsDefault ? [] : DeviceScopes;

    /// <summary>Value equality, scopes included (element by element).</summary>
    public bool Equals(Drhd? other) =>
        base.Equals(other) && Flags == other.Flags && Size == other.Size && Segment == other.Segment && RegisterBase == other.RegisterBase && DeviceScopes.SequenceEqual(other.DeviceScopes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), RegisterBase, DeviceScopes.Length);

    public const byte IncludePciAllFlag = 0x01;
    public override ushort TypeCode => (ushort)DmarStructureType.Drhd;
    public override string Kind => "DRHD";
    public override ImmutableArray<DeviceScope> Scopes => DeviceScopes;
    public bool IncludePciAll => (Flags & IncludePciAllFlag) != 0;

    /// <summary>Register set size: 2^Size 4 KiB pages (Linux dmar_parse_one_drhd: 1 &lt;&lt; (size + 12)).</summary>
    public ulong RegisterSetBytes => 1UL << Math.Min(Size + 12, 63);
}

/// <summary>Reserved Memory Region Reporting (type 1, 24 bytes + scopes). <see cref="EndLimit"/> is inclusive.</summary>
public sealed record Rmrr(int Offset, int Length, ushort Reserved, ushort Segment, ulong Base, ulong EndLimit, ImmutableArray<DeviceScope> DeviceScopes)
    : DmarStructure(Offset, Length)
{
    /// <summary>The device scopes as declared; never default (a default array becomes empty).</summary>
    public ImmutableArray<DeviceScope> DeviceScopes { get; init; } = DeviceScopes.IsDefault ? [] : DeviceScopes;

    /// <summary>Value equality, scopes included (element by element).</summary>
    public bool Equals(Rmrr? other) =>
        base.Equals(other) && Reserved == other.Reserved && Segment == other.Segment && Base == other.Base && EndLimit == other.EndLimit && DeviceScopes.SequenceEqual(other.DeviceScopes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Base, DeviceScopes.Length);

    public override ushort TypeCode => (ushort)DmarStructureType.Rmrr;
    public override string Kind => "RMRR";
    public override ImmutableArray<DeviceScope> Scopes => DeviceScopes;
}

/// <summary>Root Port ATS Capability Reporting (type 2, 8 bytes + scopes).</summary>
public sealed record Atsr(int Offset, int Length, byte Flags, byte Reserved, ushort Segment, ImmutableArray<DeviceScope> DeviceScopes)
    : DmarStructure(Offset, Length)
{
    /// <summary>The device scopes as declared; never default (a default array becomes empty).</summary>
    public ImmutableArray<DeviceScope> DeviceScopes { get; init; } = DeviceScopes.IsDefault ? [] : DeviceScopes;

    /// <summary>Value equality, scopes included (element by element).</summary>
    public bool Equals(Atsr? other) =>
        base.Equals(other) && Flags == other.Flags && Reserved == other.Reserved && Segment == other.Segment && DeviceScopes.SequenceEqual(other.DeviceScopes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Flags, DeviceScopes.Length);

    public const byte AllPortsFlag = 0x01;
    public override ushort TypeCode => (ushort)DmarStructureType.Atsr;
    public override string Kind => "ATSR";
    public override ImmutableArray<DeviceScope> Scopes => DeviceScopes;
    public bool AllPorts => (Flags & AllPortsFlag) != 0;
}

/// <summary>Remapping Hardware Static Affinity (type 3, exactly 20 bytes).</summary>
public sealed record Rhsa(int Offset, int Length, uint Reserved, ulong RegisterBase, uint ProximityDomain)
    : DmarStructure(Offset, Length)
{
    public override ushort TypeCode => (ushort)DmarStructureType.Rhsa;
    public override string Kind => "RHSA";
}

/// <summary>
/// ACPI Name-space Device Declaration (type 4, 8 bytes + name). <see cref="NameField"/> is every byte after the
/// fixed part (the NUL-terminated name plus any padding), kept for byte-exact re-encoding.
/// </summary>
public sealed record Andd(int Offset, int Length, ImmutableArray<byte> Reserved, byte DeviceNumber, ImmutableArray<byte> NameField)
    : DmarStructure(Offset, Length)
{
    public ImmutableArray<byte> Reserved { get; init; } = Reserved.IsDefault ? [0, 0, 0] : Reserved;
    public ImmutableArray<byte> NameField { get; init; } = NameField.IsDefault ? [] : NameField;

    /// <summary>Value equality, byte fields included.</summary>
    public bool Equals(Andd? other) =>
        base.Equals(other) && DeviceNumber == other.DeviceNumber && Reserved.SequenceEqual(other.Reserved) && NameField.SequenceEqual(other.NameField);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), DeviceNumber, NameField.Length);

    public override ushort TypeCode => (ushort)DmarStructureType.Andd;
    public override string Kind => "ANDD";

    /// <summary>True when a NUL ends the name inside the structure (Linux dmar_parse_one_andd requires it).</summary>
    public bool NameTerminated => NameField.IndexOf((byte)0) >= 0;

    /// <summary>The ACPI object name, up to the first NUL (Latin-1, so every byte survives).</summary>
    public string ObjectName
    {
        get
        {
            var end = NameField.IndexOf((byte)0);
            var span = NameField.AsSpan(0, end < 0 ? NameField.Length : end);
            return System.Text.Encoding.Latin1.GetString(span);
        }
    }

    /// <summary>An ANDD for the given name, NUL-terminated, no padding.</summary>
    public static Andd Create(byte deviceNumber, string objectName) =>
        new(0, 0, [0, 0, 0], deviceNumber, [.. System.Text.Encoding.Latin1.GetBytes(objectName), 0]);
}

/// <summary>SoC Integrated Address Translation Cache (type 5, 8 bytes + scopes; VT-d 3.2+).</summary>
public sealed record Satc(int Offset, int Length, byte Flags, byte Reserved, ushort Segment, ImmutableArray<DeviceScope> DeviceScopes)
    : DmarStructure(Offset, Length)
{
    /// <summary>The device scopes as declared; never default (a default array becomes empty).</summary>
    public ImmutableArray<DeviceScope> DeviceScopes { get; init; } = DeviceScopes.IsDefault ? [] : DeviceScopes;

    /// <summary>Value equality, scopes included (element by element).</summary>
    public bool Equals(Satc? other) =>
        base.Equals(other) && Flags == other.Flags && Reserved == other.Reserved && Segment == other.Segment && DeviceScopes.SequenceEqual(other.DeviceScopes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Flags, DeviceScopes.Length);

    public const byte AtcRequiredFlag = 0x01;
    public override ushort TypeCode => (ushort)DmarStructureType.Satc;
    public override string Kind => "SATC";
    public override ImmutableArray<DeviceScope> Scopes => DeviceScopes;
    public bool AtcRequired => (Flags & AtcRequiredFlag) != 0;
}

/// <summary>SoC Integrated Device Property (type 6, 8 bytes + scopes; VT-d 3.4+ / 4.x).</summary>
public sealed record Sidp(int Offset, int Length, ushort Reserved, ushort Segment, ImmutableArray<DeviceScope> DeviceScopes)
    : DmarStructure(Offset, Length)
{
    /// <summary>The device scopes as declared; never default (a default array becomes empty).</summary>
    public ImmutableArray<DeviceScope> DeviceScopes { get; init; } = DeviceScopes.IsDefault ? [] : DeviceScopes;

    /// <summary>Value equality, scopes included (element by element).</summary>
    public bool Equals(Sidp? other) =>
        base.Equals(other) && Reserved == other.Reserved && Segment == other.Segment && DeviceScopes.SequenceEqual(other.DeviceScopes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Segment, DeviceScopes.Length);

    public override ushort TypeCode => (ushort)DmarStructureType.Sidp;
    public override string Kind => "SIDP";
    public override ImmutableArray<DeviceScope> Scopes => DeviceScopes;
}

/// <summary>A structure of a reserved type (≥ 7), kept whole; Linux skips these for forward compatibility.</summary>
/// <param name="Offset">Byte offset in the table.</param>
/// <param name="Length">The Length field as read.</param>
/// <param name="RawType">The type code.</param>
/// <param name="Bytes">The whole structure, header included.</param>
public sealed record UnknownDmarStructure(int Offset, int Length, ushort RawType, ImmutableArray<byte> Bytes)
    : DmarStructure(Offset, Length)
{
    public ImmutableArray<byte> Bytes { get; init; } = Bytes.IsDefault ? [] : Bytes;

    /// <summary>Value equality over the bytes.</summary>
    public bool Equals(UnknownDmarStructure? other) => base.Equals(other) && RawType == other.RawType && Bytes.SequenceEqual(other.Bytes);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), RawType, Bytes.Length);

    public override ushort TypeCode => RawType;
    public override string Kind => "unknown";
}

/// <summary>
/// A decoded ACPI DMAR table: the 48-byte header (ACPI §5.2.6 common header + VT-d §8.1 fields) and its
/// remapping structures in table order. Text fields are Latin-1 so every byte survives a round trip.
/// </summary>
public sealed record DmarTable
{
    public const int HeaderLength = 48;
    public const byte IntrRemapFlag = 0x01;
    public const byte X2ApicOptOutFlag = 0x02;
    public const byte DmaCtrlPlatformOptInFlag = 0x04;

    public string Signature { get; init; } = "DMAR";
    public uint Length { get; init; }
    public byte Revision { get; init; } = 1;
    public byte Checksum { get; init; }

    /// <summary>False when the table's bytes do not sum to 0; Linux (ACPICA) only warns, so this is a fact, not an error.</summary>
    public bool ChecksumOk { get; init; } = true;

    /// <summary>6 bytes, raw (may contain trailing spaces or NULs).</summary>
    public string OemId { get; init; } = "DMASIM";

    /// <summary>8 bytes, raw.</summary>
    public string OemTableId { get; init; } = "DMASIM  ";
    public uint OemRevision { get; init; } = 1;

    /// <summary>4 bytes, raw ("ASL compiler id" in iasl's words).</summary>
    public string CreatorId { get; init; } = "DSIM";
    public uint CreatorRevision { get; init; } = 1;

    /// <summary>The stored Host Address Width byte N; the width is N + 1 bits.</summary>
    public byte HostAddressWidthField { get; init; }

    public byte Flags { get; init; }

    /// <summary>The 10 reserved header bytes.</summary>
    public ImmutableArray<byte> Reserved
    {
        get => _reserved;
        init => _reserved = value.IsDefault ? [.. new byte[10]] : value;
    }

    public ImmutableArray<DmarStructure> Structures
    {
        get => _structures;
        init => _structures = value.IsDefault ? [] : value;
    }

    private readonly ImmutableArray<byte> _reserved = [.. new byte[10]];
    private readonly ImmutableArray<DmarStructure> _structures = [];

    /// <summary>Value equality: header fields, reserved bytes and every structure, element by element.</summary>
    public bool Equals(DmarTable? other) =>
        other is not null && Signature == other.Signature && Length == other.Length && Revision == other.Revision
        && Checksum == other.Checksum && ChecksumOk == other.ChecksumOk && OemId == other.OemId && OemTableId == other.OemTableId
        && OemRevision == other.OemRevision && CreatorId == other.CreatorId && CreatorRevision == other.CreatorRevision
        && HostAddressWidthField == other.HostAddressWidthField && Flags == other.Flags
        && Reserved.SequenceEqual(other.Reserved) && Structures.SequenceEqual(other.Structures);

    public override int GetHashCode() => HashCode.Combine(Length, Checksum, OemId, Structures.Length);

    /// <summary>Host address width in bits (stored value + 1).</summary>
    public int HostAddressWidth => HostAddressWidthField + 1;

    public bool IntrRemap => (Flags & IntrRemapFlag) != 0;
    public bool X2ApicOptOut => (Flags & X2ApicOptOutFlag) != 0;
    public bool DmaCtrlPlatformOptIn => (Flags & DmaCtrlPlatformOptInFlag) != 0;

    public IEnumerable<Drhd> Drhds => Structures.OfType<Drhd>();
    public IEnumerable<Rmrr> Rmrrs => Structures.OfType<Rmrr>();

    /// <summary>
    /// A header text field for display, as iasl prints it (ACPICA AcpiUtCheckAndRepairAscii): up to the first NUL,
    /// with every non-printable character shown as a space.
    /// </summary>
    public static string Display(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var nul = raw.IndexOf('\0', StringComparison.Ordinal);
        var text = nul < 0 ? raw : raw[..nul];
        return string.Create(text.Length, text, static (span, t) =>
        {
            for (var i = 0; i < t.Length; i++) span[i] = t[i] is >= ' ' and < (char)0x7f ? t[i] : ' ';
        });
    }
}
