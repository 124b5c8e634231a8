using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DmaSim.Hardware.Acpi;

namespace DmaSim.Reporting.Firmware;

/// <summary>
/// The JSON form of a decoded table (the <c>dmasim dmar decode --format json</c> contract): one object per file with
/// <c>file</c>, header fields, <c>hostAddressWidth</c> in bits, numeric <c>flags</c>, and <c>structures[]</c>, each with
/// <c>type</c>, <c>offset</c>, <c>length</c>, its fields (addresses as "0x…" strings) and <c>scopes[]</c>. Contract
/// types serialized by System.Text.Json's source generator (<see cref="DmarJsonContext"/>).
/// </summary>
public static class DmarJson
{
    /// <summary>Schema tag of a decoded table (schemas/dmasim-dmar.v1.schema.json).</summary>
    public const string Schema = "dmasim-dmar/v1";

    /// <summary>One object for one file, or an array of objects when there are several.</summary>
    public static string Serialize(IReadOnlyList<(string File, DmarTable Table)> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return tables.Count == 1
            ? JsonSerializer.Serialize(Document(tables[0].File, tables[0].Table), DmarJsonContext.Relaxed.DmarDocument)
            : JsonSerializer.Serialize([.. tables.Select(t => Document(t.File, t.Table))], DmarJsonContext.Relaxed.DmarDocumentArray);
    }

    private static DmarDocument Document(string file, DmarTable t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(Schema, file, t.Signature, t.Length, t.Revision, t.Checksum, t.ChecksumOk,
            DmarTable.Display(t.OemId).TrimEnd(), DmarTable.Display(t.OemTableId).TrimEnd(), t.OemRevision,
            DmarTable.Display(t.CreatorId).TrimEnd(), t.CreatorRevision, t.HostAddressWidth, t.Flags,
            new DmarFlagsJson(t.IntrRemap, t.X2ApicOptOut, t.DmaCtrlPlatformOptIn), [.. t.Structures.Select(Structure)]);
    }

    private static DmarStructureJson Structure(DmarStructure s) => s switch
    {
        Drhd d => new DrhdJson(d.Kind, d.Offset, d.Length, d.Flags, d.IncludePciAll, d.Size, d.Segment, Hex(d.RegisterBase), Scopes(d)),
        Rmrr r => new RmrrJson(r.Kind, r.Offset, r.Length, r.Segment, Hex(r.Base), Hex(r.EndLimit), Scopes(r)),
        Atsr a => new AtsrJson(a.Kind, a.Offset, a.Length, a.Flags, a.AllPorts, a.Segment, Scopes(a)),
        Rhsa h => new RhsaJson(h.Kind, h.Offset, h.Length, Hex(h.RegisterBase), h.ProximityDomain),
        Andd n => new AnddJson(n.Kind, n.Offset, n.Length, n.DeviceNumber, n.ObjectName, n.NameTerminated),
        Satc c => new SatcJson(c.Kind, c.Offset, c.Length, c.Flags, c.AtcRequired, c.Segment, Scopes(c)),
        Sidp p => new SidpJson(p.Kind, p.Offset, p.Length, p.Segment, Scopes(p)),
        UnknownDmarStructure u => new UnknownStructureJson(u.Kind, u.Offset, u.Length, u.RawType,
            Convert.ToHexString(u.Bytes.AsSpan()).ToLowerInvariant()),
        _ => throw new ArgumentOutOfRangeException(nameof(s), s.Kind, "a DMAR structure without a JSON form"),
    };

    private static DeviceScopeJson[] Scopes(DmarStructure s) => [.. s.Scopes.Select(sc => new DeviceScopeJson(
        DeviceScopeTypes.NameOf(sc.Type), sc.Offset, sc.EnumerationId, sc.StartBus, sc.Flags != 0 ? sc.Flags : null,
        [.. sc.Path.Select(p => p.ToString())]))];

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>dmasim-dmar/v1: one table.</summary>
internal sealed record DmarDocument(
    string Schema, string File, string Signature, uint Length, byte Revision, byte Checksum, bool ChecksumOk, string OemId,
    string OemTableId, uint OemRevision, string CreatorId, uint CreatorRevision, int HostAddressWidth, byte Flags,
    DmarFlagsJson FlagsDecoded, DmarStructureJson[] Structures);

internal sealed record DmarFlagsJson(bool IntrRemap, bool X2apicOptOut, bool DmaCtrlPlatformOptIn);

/// <summary>
/// A structure: <c>type</c>, <c>offset</c>, <c>length</c> first, then the kind's own fields; no type discriminator
/// (<c>type</c> is the table's word). Structures that carry device scopes end with <c>scopes</c>.
/// </summary>
[JsonDerivedType(typeof(DrhdJson))]
[JsonDerivedType(typeof(RmrrJson))]
[JsonDerivedType(typeof(AtsrJson))]
[JsonDerivedType(typeof(RhsaJson))]
[JsonDerivedType(typeof(AnddJson))]
[JsonDerivedType(typeof(SatcJson))]
[JsonDerivedType(typeof(SidpJson))]
[JsonDerivedType(typeof(UnknownStructureJson))]
internal abstract record DmarStructureJson(
    [property: JsonPropertyOrder(-1)] string Type, [property: JsonPropertyOrder(-1)] int Offset, [property: JsonPropertyOrder(-1)] int Length);

internal sealed record DrhdJson(string Type, int Offset, int Length, byte Flags, bool IncludePciAll, byte Size, ushort Segment, string Base,
    [property: JsonPropertyOrder(1)] DeviceScopeJson[] Scopes) : DmarStructureJson(Type, Offset, Length);

internal sealed record RmrrJson(string Type, int Offset, int Length, ushort Segment, string Base, string End,
    [property: JsonPropertyOrder(1)] DeviceScopeJson[] Scopes) : DmarStructureJson(Type, Offset, Length);

internal sealed record AtsrJson(string Type, int Offset, int Length, byte Flags, bool AllPorts, ushort Segment,
    [property: JsonPropertyOrder(1)] DeviceScopeJson[] Scopes) : DmarStructureJson(Type, Offset, Length);

internal sealed record RhsaJson(string Type, int Offset, int Length, string Base, uint ProximityDomain) : DmarStructureJson(Type, Offset, Length);

internal sealed record AnddJson(string Type, int Offset, int Length, byte DeviceNumber, string ObjectName, bool NameTerminated)
    : DmarStructureJson(Type, Offset, Length);

internal sealed record SatcJson(string Type, int Offset, int Length, byte Flags, bool AtcRequired, ushort Segment,
    [property: JsonPropertyOrder(1)] DeviceScopeJson[] Scopes) : DmarStructureJson(Type, Offset, Length);

internal sealed record SidpJson(string Type, int Offset, int Length, ushort Segment,
    [property: JsonPropertyOrder(1)] DeviceScopeJson[] Scopes) : DmarStructureJson(Type, Offset, Length);

internal sealed record UnknownStructureJson(string Type, int Offset, int Length, ushort TypeCode, string Bytes)
    : DmarStructureJson(Type, Offset, Length);

/// <summary>A device scope; <c>flags</c> is left out when zero (every table before VT-d 3.4).</summary>
internal sealed record DeviceScopeJson(
    string Type, int Offset, byte EnumerationId, byte StartBus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] byte? Flags, string[] Path);

[JsonSerializable(typeof(DmarDocument))]
[JsonSerializable(typeof(DmarDocument[]))]
[JsonSerializable(typeof(DmarLintDocument))]
[JsonSerializable(typeof(DmarLintDocument[]))]
internal sealed partial class DmarJsonContext : JsonSerializerContext
{
    internal static DmarJsonContext Relaxed { get; } = new(ContractJson.Options(indented: true, ContractJson.Relaxed));
}
