using System.Globalization;
using System.Text;

namespace DmaSim.Hardware.Acpi;

/// <summary>
/// Renders a table the way <c>iasl -d</c> does (ACPICA source/common/dmtbinfo1.c field names for DMAR,
/// dmtable.c line format "[OffH Off Len] Name : Value"), so a decode reads like the .dsl files people share.
/// Types 5 (SATC) and 6 (SIDP) use the field names of newer ACPICA; reserved types print their raw bytes.
/// </summary>
public static class DmarText
{
    /// <summary>The iasl-style field listing of a table (no comment banner, no raw dump).</summary>
    public static string Format(DmarTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var w = new Writer();
        w.Field(0, 4, "Signature", $"\"{table.Signature}\"    [DMA Remapping table]");
        w.Field(4, 4, "Table Length", Hex(table.Length, 8));
        w.Field(8, 1, "Revision", Hex(table.Revision, 2));
        w.Field(9, 1, "Checksum", Hex(table.Checksum, 2) + (table.ChecksumOk ? "" : "    /* Incorrect checksum */"));
        w.Field(10, 6, "Oem ID", Quote(table.OemId));
        w.Field(16, 8, "Oem Table ID", Quote(table.OemTableId));
        w.Field(24, 4, "Oem Revision", Hex(table.OemRevision, 8));
        w.Field(28, 4, "Asl Compiler ID", Quote(table.CreatorId));
        w.Field(32, 4, "Asl Compiler Revision", Hex(table.CreatorRevision, 8));
        w.Blank();
        w.Field(36, 1, "Host Address Width", Hex(table.HostAddressWidthField, 2));
        w.Field(37, 1, "Flags", Hex(table.Flags, 2));
        w.Field(38, 10, "Reserved", string.Join(" ", table.Reserved.Select(b => Hex(b, 2))));
        w.Blank();
        foreach (var s in table.Structures) Structure(w, s);
        return w.ToString();
    }

    private static void Structure(Writer w, DmarStructure s)
    {
        var o = s.Offset;
        w.Field(o, 2, "Subtable Type", Hex(s.TypeCode, 4) + " [" + SubtableName(s.TypeCode) + "]");
        w.Field(o + 2, 2, "Length", Hex((uint)s.Length, 4));
        w.Blank();
        switch (s)
        {
            case Drhd d:
                w.Field(o + 4, 1, "Flags", Hex(d.Flags, 2));
                w.Field(o + 5, 1, "Reserved", Hex(d.Size, 2));
                w.Field(o + 6, 2, "PCI Segment Number", Hex(d.Segment, 4));
                w.Field(o + 8, 8, "Register Base Address", Hex(d.RegisterBase, 16));
                break;
            case Rmrr r:
                w.Field(o + 4, 2, "Reserved", Hex(r.Reserved, 4));
                w.Field(o + 6, 2, "PCI Segment Number", Hex(r.Segment, 4));
                w.Field(o + 8, 8, "Base Address", Hex(r.Base, 16));
                w.Field(o + 16, 8, "End Address (limit)", Hex(r.EndLimit, 16));
                break;
            case Atsr a:
                w.Field(o + 4, 1, "Flags", Hex(a.Flags, 2));
                w.Field(o + 5, 1, "Reserved", Hex(a.Reserved, 2));
                w.Field(o + 6, 2, "PCI Segment Number", Hex(a.Segment, 4));
                break;
            case Rhsa h:
                w.Field(o + 4, 4, "Reserved", Hex(h.Reserved, 8));
                w.Field(o + 8, 8, "Base Address", Hex(h.RegisterBase, 16));
                w.Field(o + 16, 4, "Proximity Domain", Hex(h.ProximityDomain, 8));
                break;
            case Andd n:
                w.Field(o + 4, 3, "Reserved", Hex((uint)(n.Reserved[0] | (n.Reserved[1] << 8) | (n.Reserved[2] << 16)), 6));
                w.Field(o + 7, 1, "Device Number", Hex(n.DeviceNumber, 2));
                w.Field(o + 8, Math.Min(n.ObjectName.Length + 1, n.NameField.Length), "Device Name", Quote(n.ObjectName));
                break;
            case Satc c:
                w.Field(o + 4, 1, "Flags", Hex(c.Flags, 2));
                w.Field(o + 5, 1, "Reserved", Hex(c.Reserved, 2));
                w.Field(o + 6, 2, "PCI Segment Number", Hex(c.Segment, 4));
                break;
            case Sidp p:
                w.Field(o + 4, 2, "Reserved", Hex(p.Reserved, 4));
                w.Field(o + 6, 2, "PCI Segment Number", Hex(p.Segment, 4));
                break;
            case UnknownDmarStructure u:
                w.Field(o + 4, u.Bytes.Length - 4, "Data", string.Join(" ", u.Bytes.Skip(4).Select(b => Hex(b, 2))));
                break;
        }
        w.Blank();
        foreach (var sc in s.Scopes) Scope(w, sc);
    }

    private static void Scope(Writer w, DeviceScope sc)
    {
        var o = sc.Offset;
        w.Field(o, 1, "Device Scope Type", Hex((byte)sc.Type, 2) + " [" + ScopeName(sc.Type) + "]");
        w.Field(o + 1, 1, "Entry Length", Hex((byte)sc.Length, 2));
        w.Field(o + 2, 2, "Reserved", Hex((ushort)(sc.Flags | (sc.Reserved << 8)), 4));
        w.Field(o + 4, 1, "Enumeration ID", Hex(sc.EnumerationId, 2));
        w.Field(o + 5, 1, "PCI Bus Number", Hex(sc.StartBus, 2));
        w.Blank();
        for (var i = 0; i < sc.Path.Length; i++)
        {
            w.Field(o + 6 + (2 * i), 2, "PCI Path", Hex(sc.Path[i].Device, 2) + "," + Hex(sc.Path[i].Function, 2));
            w.Blank();
        }
        w.Blank();
    }

    /// <summary>iasl's name for a remapping structure type.</summary>
    public static string SubtableName(ushort type) => type switch
    {
        0 => "Hardware Unit Definition",
        1 => "Reserved Memory Region",
        2 => "Root Port ATS Capability",
        3 => "Remapping Hardware Static Affinity",
        4 => "ACPI Namespace Device Declaration",
        5 => "SoC Integrated Address Translation Cache",
        6 => "SoC Integrated Device Property",
        _ => "Unknown Subtable Type",
    };

    /// <summary>iasl's name for a device scope type.</summary>
    public static string ScopeName(DeviceScopeType type) => type switch
    {
        DeviceScopeType.Endpoint => "PCI Endpoint Device",
        DeviceScopeType.Bridge => "PCI Bridge Device",
        DeviceScopeType.IoApic => "IOAPIC Device",
        DeviceScopeType.Hpet => "Message-capable HPET Device",
        DeviceScopeType.AcpiNamespace => "Namespace Device",
        _ => "Reserved value",
    };

    private static string Hex(ulong v, int digits) => v.ToString("X" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Quote(string raw) => "\"" + DmarTable.Display(raw) + "\"";

    private sealed class Writer
    {
        private readonly StringBuilder _sb = new();

        public void Field(int offset, int length, string name, string value) =>
            _sb.Append(CultureInfo.InvariantCulture, $"[{offset:X3}h {offset:D4} {length,3}] {name,28} : {value}\n");

        public void Blank() => _sb.Append('\n');

        public override string ToString() => _sb.ToString();
    }
}
