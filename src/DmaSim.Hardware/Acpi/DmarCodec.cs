using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using DmaSim.Core;

namespace DmaSim.Hardware.Acpi;

/// <summary>
/// Reads and writes ACPI DMAR tables (layout: shared/reference/vtd-hardware.md §7; VT-d spec §8; ACPICA
/// include/acpi/actbl1.h <c>struct acpi_table_dmar</c> and the <c>acpi_dmar_*</c> sub-tables).
/// Parsing is strict: every malformed input raises <see cref="InputException"/> naming the byte offset, and no
/// other exception type escapes. Every loop advances by a length that was checked to be positive and to stay
/// inside the table, so parsing is linear in the input size whatever the bytes say.
/// </summary>
public static partial class DmarCodec
{
    /// <summary>Fixed part of each known structure type (vtd-hardware.md §7.2), indexed by type code.</summary>
    private static readonly int[] _minimumLength = [16, 24, 8, 20, 8, 8, 8];
    private const int StructureHeaderLength = 4;
    private const int ScopeHeaderLength = 6;

    /// <summary>Decodes a raw DMAR table (as <c>acpixtract</c> or /sys/firmware/acpi/tables/DMAR give it).</summary>
    /// <param name="bytes">The table, exactly Length bytes.</param>
    /// <param name="fileName">Named in error messages.</param>
    /// <exception cref="InputException">The bytes are not a well-formed DMAR table.</exception>
    public static DmarTable Parse(ReadOnlySpan<byte> bytes, string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        InputException Fail(long offset, string problem) => new(SourceSpan.AtByte(fileName, offset), problem);

        if (bytes.Length < 4 || !bytes[..4].SequenceEqual("DMAR"u8))
        {
            var got = bytes.Length < 4 ? $"only {bytes.Length} byte(s)" : "\"" + Printable(bytes[..4]) + "\"";
            throw Fail(0, $"not a DMAR table: signature is {got}, expected \"DMAR\"");
        }
        if (bytes.Length < DmarTable.HeaderLength)
            throw Fail(bytes.Length, $"truncated DMAR header: {bytes.Length} bytes, the header needs {DmarTable.HeaderLength}");

        var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (length < DmarTable.HeaderLength)
            throw Fail(4, $"table length {length} is shorter than the {DmarTable.HeaderLength}-byte DMAR header");
        if (length > (uint)bytes.Length)
            throw Fail(4, $"table length {length} exceeds the {bytes.Length} bytes available (truncated table)");
        if (length < (uint)bytes.Length)
            throw Fail(length, $"{bytes.Length - length} byte(s) follow the end of the table (length field says {length})");

        var table = bytes[..(int)length];
        byte sum = 0;
        foreach (var b in table) sum += b;

        var structures = ImmutableArray.CreateBuilder<DmarStructure>();
        var offset = DmarTable.HeaderLength;
        // Linux dmar_walk_remapping_entries (drivers/iommu/intel/dmar.c): 0-length stops the walk ("Invalid
        // 0-length structure"), a record past the end is -EINVAL ("Record passes table end"). We refuse both.
        while (offset < table.Length)
        {
            if (table.Length - offset < StructureHeaderLength)
                throw Fail(offset, $"truncated structure header: {table.Length - offset} byte(s) left, a structure header needs {StructureHeaderLength}");
            var type = BinaryPrimitives.ReadUInt16LittleEndian(table[offset..]);
            var len = BinaryPrimitives.ReadUInt16LittleEndian(table[(offset + 2)..]);
            var kind = KindName(type);
            if (len == 0)
                throw Fail(offset + 2, $"{kind} structure has length 0 (Linux: \"Invalid 0-length structure\"; a walker that trusted it would loop forever)");
            var minimum = type < _minimumLength.Length ? _minimumLength[type] : StructureHeaderLength;
            if (len < minimum)
                throw Fail(offset + 2, $"{kind} structure length {len} is shorter than its {minimum}-byte fixed part");
            if (len > table.Length - offset)
                throw Fail(offset + 2, $"{kind} structure length {len} runs past the table end at {table.Length} (Linux: \"Record passes table end\")");
            structures.Add(ParseStructure(table.Slice(offset, len), offset, type, fileName));
            offset += len;
        }

        return new DmarTable
        {
            Signature = "DMAR",
            Length = length,
            Revision = table[8],
            Checksum = table[9],
            ChecksumOk = sum == 0,
            OemId = Encoding.Latin1.GetString(table.Slice(10, 6)),
            OemTableId = Encoding.Latin1.GetString(table.Slice(16, 8)),
            OemRevision = BinaryPrimitives.ReadUInt32LittleEndian(table[24..]),
            CreatorId = Encoding.Latin1.GetString(table.Slice(28, 4)),
            CreatorRevision = BinaryPrimitives.ReadUInt32LittleEndian(table[32..]),
            HostAddressWidthField = table[36],
            Flags = table[37],
            Reserved = [.. table.Slice(38, 10)],
            Structures = structures.ToImmutable(),
        };
    }

    private static DmarStructure ParseStructure(ReadOnlySpan<byte> s, int offset, ushort type, string fileName)
    {
        var kind = KindName(type);
        switch ((DmarStructureType)type)
        {
            case DmarStructureType.Drhd:
                return new Drhd(offset, s.Length, s[4], s[5], U16(s, 6), U64(s, 8), ParseScopes(s[16..], offset + 16, kind, fileName));
            case DmarStructureType.Rmrr:
                return new Rmrr(offset, s.Length, U16(s, 4), U16(s, 6), U64(s, 8), U64(s, 16), ParseScopes(s[24..], offset + 24, kind, fileName));
            case DmarStructureType.Atsr:
                return new Atsr(offset, s.Length, s[4], s[5], U16(s, 6), ParseScopes(s[8..], offset + 8, kind, fileName));
            case DmarStructureType.Rhsa:
                if (s.Length != 20)
                    throw new InputException(SourceSpan.AtByte(fileName, offset + 2), $"RHSA structure length {s.Length} is not 20");
                return new Rhsa(offset, s.Length, U32(s, 4), U64(s, 8), U32(s, 16));
            case DmarStructureType.Andd:
                return new Andd(offset, s.Length, [.. s.Slice(4, 3)], s[7], [.. s[8..]]);
            case DmarStructureType.Satc:
                return new Satc(offset, s.Length, s[4], s[5], U16(s, 6), ParseScopes(s[8..], offset + 8, kind, fileName));
            case DmarStructureType.Sidp:
                return new Sidp(offset, s.Length, U16(s, 4), U16(s, 6), ParseScopes(s[8..], offset + 8, kind, fileName));
            default:
                return new UnknownDmarStructure(offset, s.Length, type, [.. s]);
        }
    }

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
    private static ulong U64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);

    private static ImmutableArray<DeviceScope> ParseScopes(ReadOnlySpan<byte> area, int areaOffset, string owner, string fileName)
    {
        var scopes = ImmutableArray.CreateBuilder<DeviceScope>();
        var at = 0;
        while (at < area.Length)
        {
            var where = areaOffset + at;
            if (area.Length - at < ScopeHeaderLength)
                throw new InputException(SourceSpan.AtByte(fileName, where),
                    $"truncated device scope in {owner}: {area.Length - at} byte(s) left, a scope needs at least {ScopeHeaderLength}");
            var len = area[at + 1];
            if (len < ScopeHeaderLength)
                throw new InputException(SourceSpan.AtByte(fileName, where + 1), $"device scope length {len} in {owner} is shorter than {ScopeHeaderLength}");
            if ((len - ScopeHeaderLength) % 2 != 0)
                throw new InputException(SourceSpan.AtByte(fileName, where + 1), $"device scope length {len} in {owner} is not 6 + 2·n");
            if (len > area.Length - at)
                throw new InputException(SourceSpan.AtByte(fileName, where + 1),
                    $"device scope length {len} runs past the end of its {owner} ({area.Length - at} byte(s) left)");
            var path = ImmutableArray.CreateBuilder<PciPathEntry>((len - ScopeHeaderLength) / 2);
            for (var p = at + ScopeHeaderLength; p < at + len; p += 2) path.Add(new PciPathEntry(area[p], area[p + 1]));
            scopes.Add(new DeviceScope((DeviceScopeType)area[at], area[at + 4], area[at + 5], path.MoveToImmutable(), area[at + 2], area[at + 3], where));
            at += len;
        }
        return scopes.ToImmutable();
    }

    /// <summary>
    /// Encodes a table. Lengths and the checksum are computed; the <see cref="DmarStructure.Offset"/>/<see cref="DmarStructure.Length"/>
    /// values of the records are ignored, so hand-built records may leave them 0. Re-encoding a parsed table gives its bytes back.
    /// </summary>
    /// <exception cref="ArgumentException">A field does not fit its encoding (e.g. a structure over 65535 bytes).</exception>
    public static byte[] Encode(DmarTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var ms = new MemoryStream();
        var header = new byte[DmarTable.HeaderLength];
        WriteText(header.AsSpan(0, 4), table.Signature, "Signature");
        header[8] = table.Revision;
        WriteText(header.AsSpan(10, 6), table.OemId, "OemId");
        WriteText(header.AsSpan(16, 8), table.OemTableId, "OemTableId");
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), table.OemRevision);
        WriteText(header.AsSpan(28, 4), table.CreatorId, "CreatorId");
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(32), table.CreatorRevision);
        header[36] = table.HostAddressWidthField;
        header[37] = table.Flags;
        if (!table.Reserved.IsDefault)
        {
            if (table.Reserved.Length != 10) throw new ArgumentException("the DMAR header has 10 reserved bytes", nameof(table));
            table.Reserved.CopyTo(header.AsSpan(38));
        }
        ms.Write(header);
        foreach (var s in table.Structures.IsDefault ? [] : table.Structures) ms.Write(EncodeStructure(s));

        var bytes = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)bytes.Length);
        byte sum = 0;
        foreach (var b in bytes) sum += b;
        bytes[9] = (byte)(0 - sum);
        return bytes;
    }

    private static byte[] EncodeStructure(DmarStructure s)
    {
        var body = new List<byte>(64);
        void W8(byte v) => body.Add(v);
        void W16(ushort v) { body.Add((byte)v); body.Add((byte)(v >> 8)); }
        void W32(uint v) { for (var i = 0; i < 4; i++) body.Add((byte)(v >> (8 * i))); }
        void W64(ulong v) { for (var i = 0; i < 8; i++) body.Add((byte)(v >> (8 * i))); }
        void Bytes(ImmutableArray<byte> v) { if (!v.IsDefault) body.AddRange(v); }
        void Scopes(ImmutableArray<DeviceScope> scopes)
        {
            if (scopes.IsDefault) return;
            foreach (var sc in scopes)
            {
                var path = sc.Path.IsDefault ? [] : sc.Path;
                var len = ScopeHeaderLength + (2 * path.Length);
                if (len > byte.MaxValue) throw new ArgumentException($"device scope with {path.Length} path entries does not fit a 1-byte length", nameof(s));
                W8((byte)sc.Type); W8((byte)len); W8(sc.Flags); W8(sc.Reserved); W8(sc.EnumerationId); W8(sc.StartBus);
                foreach (var p in path) { W8(p.Device); W8(p.Function); }
            }
        }

        if (s is UnknownDmarStructure unknown)
        {
            if (unknown.Bytes.IsDefault || unknown.Bytes.Length < StructureHeaderLength || unknown.Bytes.Length > ushort.MaxValue)
                throw new ArgumentException("an unknown structure must carry its whole bytes (4–65535)", nameof(s));
            var raw = unknown.Bytes.ToArray();
            BinaryPrimitives.WriteUInt16LittleEndian(raw, unknown.RawType);
            BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(2), (ushort)raw.Length);
            return raw;
        }

        W16(s.TypeCode);
        W16(0); // length, patched below
        switch (s)
        {
            case Drhd d: W8(d.Flags); W8(d.Size); W16(d.Segment); W64(d.RegisterBase); Scopes(d.DeviceScopes); break;
            case Rmrr r: W16(r.Reserved); W16(r.Segment); W64(r.Base); W64(r.EndLimit); Scopes(r.DeviceScopes); break;
            case Atsr a: W8(a.Flags); W8(a.Reserved); W16(a.Segment); Scopes(a.DeviceScopes); break;
            case Rhsa h: W32(h.Reserved); W64(h.RegisterBase); W32(h.ProximityDomain); break;
            case Andd n:
                if (!n.Reserved.IsDefault && n.Reserved.Length != 3) throw new ArgumentException("ANDD has 3 reserved bytes", nameof(s));
                if (n.Reserved.IsDefault) { W8(0); W8(0); W8(0); } else Bytes(n.Reserved);
                W8(n.DeviceNumber); Bytes(n.NameField); break;
            case Satc c: W8(c.Flags); W8(c.Reserved); W16(c.Segment); Scopes(c.DeviceScopes); break;
            case Sidp p: W16(p.Reserved); W16(p.Segment); Scopes(p.DeviceScopes); break;
            default: throw new ArgumentException($"cannot encode {s.GetType().Name}", nameof(s));
        }
        if (body.Count > ushort.MaxValue) throw new ArgumentException($"{s.Kind} structure of {body.Count} bytes does not fit a 2-byte length", nameof(s));
        var bytes = body.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), (ushort)bytes.Length);
        return bytes;
    }

    private static void WriteText(Span<byte> into, string text, string field)
    {
        ArgumentNullException.ThrowIfNull(text, field);
        if (text.Length > into.Length) throw new ArgumentException($"{field} \"{text}\" is longer than {into.Length} bytes", field);
        foreach (var c in text)
            if (c > 0xff) throw new ArgumentException($"{field} \"{text}\" has a character outside Latin-1", field);
        Encoding.Latin1.GetBytes(text, into);
        // Shorter ids are padded with spaces, as firmware does ("INTEL ").
        for (var i = text.Length; i < into.Length; i++) into[i] = (byte)' ';
    }

    /// <summary>The short name of a structure type code (DRHD … SIDP, else "type N").</summary>
    public static string KindName(ushort type) => type switch
    {
        0 => "DRHD",
        1 => "RMRR",
        2 => "ATSR",
        3 => "RHSA",
        4 => "ANDD",
        5 => "SATC",
        6 => "SIDP",
        _ => "type " + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    internal static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes) sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return sb.ToString();
    }
}
