using System.Globalization;
using System.Text;
using System.Text.Json;
using DmaSim.Hardware.Acpi;

namespace DmaSim.Reporting.Firmware;

/// <summary>
/// The JSON form of a decoded table (the <c>dmasim dmar decode --format json</c> contract): one object per file with
/// <c>file</c>, header fields, <c>hostAddressWidth</c> in bits, numeric <c>flags</c>, and <c>structures[]</c>, each with
/// <c>type</c>, <c>offset</c>, <c>length</c>, its fields (addresses as "0x…" strings) and <c>scopes[]</c>.
/// </summary>
public static class DmarJson
{
    /// <summary>Schema tag of a decoded table (schemas/dmasim-dmar.v1.schema.json).</summary>
    public const string Schema = "dmasim-dmar/v1";

    /// <summary>Indented, and without \uXXXX escapes for quotes and '§': this JSON is read by people and by tools alike.</summary>
    internal static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One object for one file, or an array of objects when there are several.</summary>
    public static string Serialize(IReadOnlyList<(string File, DmarTable Table)> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            if (tables.Count == 1)
            {
                Write(w, tables[0].File, tables[0].Table);
            }
            else
            {
                w.WriteStartArray();
                foreach (var (file, table) in tables) Write(w, file, table);
                w.WriteEndArray();
            }
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes one table as a JSON object.</summary>
    public static void Write(Utf8JsonWriter w, string file, DmarTable t)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(t);
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("file", file);
        w.WriteString("signature", t.Signature);
        w.WriteNumber("length", t.Length);
        w.WriteNumber("revision", t.Revision);
        w.WriteNumber("checksum", t.Checksum);
        w.WriteBoolean("checksumOk", t.ChecksumOk);
        w.WriteString("oemId", DmarTable.Display(t.OemId).TrimEnd());
        w.WriteString("oemTableId", DmarTable.Display(t.OemTableId).TrimEnd());
        w.WriteNumber("oemRevision", t.OemRevision);
        w.WriteString("creatorId", DmarTable.Display(t.CreatorId).TrimEnd());
        w.WriteNumber("creatorRevision", t.CreatorRevision);
        w.WriteNumber("hostAddressWidth", t.HostAddressWidth);
        w.WriteNumber("flags", t.Flags);
        w.WriteStartObject("flagsDecoded");
        w.WriteBoolean("intrRemap", t.IntrRemap);
        w.WriteBoolean("x2apicOptOut", t.X2ApicOptOut);
        w.WriteBoolean("dmaCtrlPlatformOptIn", t.DmaCtrlPlatformOptIn);
        w.WriteEndObject();
        w.WriteStartArray("structures");
        foreach (var s in t.Structures) WriteStructure(w, s);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteStructure(Utf8JsonWriter w, DmarStructure s)
    {
        w.WriteStartObject();
        w.WriteString("type", s.Kind);
        w.WriteNumber("offset", s.Offset);
        w.WriteNumber("length", s.Length);
        switch (s)
        {
            case Drhd d:
                w.WriteNumber("flags", d.Flags);
                w.WriteBoolean("includePciAll", d.IncludePciAll);
                w.WriteNumber("size", d.Size);
                w.WriteNumber("segment", d.Segment);
                w.WriteString("base", Hex(d.RegisterBase));
                break;
            case Rmrr r:
                w.WriteNumber("segment", r.Segment);
                w.WriteString("base", Hex(r.Base));
                w.WriteString("end", Hex(r.EndLimit));
                break;
            case Atsr a:
                w.WriteNumber("flags", a.Flags);
                w.WriteBoolean("allPorts", a.AllPorts);
                w.WriteNumber("segment", a.Segment);
                break;
            case Rhsa h:
                w.WriteString("base", Hex(h.RegisterBase));
                w.WriteNumber("proximityDomain", h.ProximityDomain);
                break;
            case Andd n:
                w.WriteNumber("deviceNumber", n.DeviceNumber);
                w.WriteString("objectName", n.ObjectName);
                w.WriteBoolean("nameTerminated", n.NameTerminated);
                break;
            case Satc c:
                w.WriteNumber("flags", c.Flags);
                w.WriteBoolean("atcRequired", c.AtcRequired);
                w.WriteNumber("segment", c.Segment);
                break;
            case Sidp p:
                w.WriteNumber("segment", p.Segment);
                break;
            case UnknownDmarStructure u:
                w.WriteNumber("typeCode", u.RawType);
                w.WriteString("bytes", Convert.ToHexString(u.Bytes.AsSpan()).ToLowerInvariant());
                break;
        }
        if (s is not Rhsa and not Andd and not UnknownDmarStructure)
        {
            w.WriteStartArray("scopes");
            foreach (var sc in s.Scopes) WriteScope(w, sc);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteScope(Utf8JsonWriter w, DeviceScope sc)
    {
        w.WriteStartObject();
        w.WriteString("type", DeviceScopeTypes.NameOf(sc.Type));
        w.WriteNumber("offset", sc.Offset);
        w.WriteNumber("enumerationId", sc.EnumerationId);
        w.WriteNumber("startBus", sc.StartBus);
        if (sc.Flags != 0) w.WriteNumber("flags", sc.Flags);
        w.WriteStartArray("path");
        foreach (var p in sc.Path) w.WriteStringValue(p.ToString());
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
}
