using System.Globalization;
using System.Text.RegularExpressions;

namespace DmaSim.Testing;

/// <summary>The 10 real DMAR tables in samples/dmar and helpers to read their reference decodes (iasl output beside each).</summary>
internal static partial class DmarCorpus
{
    public static readonly string[] Names =
    [
        "apple-macbookpro14-3_91077C25D705",
        "asrock-h510m-hdv_CDCD2D2EB373",
        "dell-latitude-9420_8A77983183EB",
        "dell-precision-t7500_428B8D25DDA9",
        "framework-laptop-13-mtl_717EDB7C4975",
        "hp-compaq-dc7800-sff_80DC1538C4FA",
        "hp-proliant-dl380e-gen8_CB05571909C8",
        "hp-z400_FF7C21B8CB39",
        "lenovo-thinkpad-t410_1C0315195E84",
        "supermicro-x10dai_4A64A6094FE3",
    ];

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names) data.Add(n);
        return data;
    }

    public static TheoryData<string> WithAcpidump()
    {
        var data = new TheoryData<string>();
        foreach (var n in Names)
            if (File.Exists(PathOf(n, ".acpidump.txt"))) data.Add(n);
        return data;
    }

    public static string PathOf(string name, string extension) => SharedData.Path_("dmar", name + extension);

    public static byte[] Dat(string name) => File.ReadAllBytes(PathOf(name, ".dat"));

    /// <summary>One "[OffH Off Len] Name : Value" line of an iasl .dsl file.</summary>
    public sealed record DslField(int Offset, int ByteLength, string Name, string Value, string Line);

    /// <summary>The field lines of a .dsl, in order, up to the raw dump or iasl's "Unknown subtable" stop.</summary>
    public static List<DslField> DslFields(string name, out bool stoppedAtUnknown)
    {
        var fields = new List<DslField>();
        stoppedAtUnknown = false;
        foreach (var line in File.ReadLines(PathOf(name, ".dsl")))
        {
            if (line.StartsWith("Raw Table Data", StringComparison.Ordinal)) break;
            if (line.StartsWith("**** Unknown", StringComparison.Ordinal)) { stoppedAtUnknown = true; break; }
            var m = FieldLine().Match(line);
            if (!m.Success) continue;
            fields.Add(new DslField(
                int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                m.Groups[4].Value.Trim(),
                m.Groups[5].Value.Trim(),
                line));
        }
        return fields;
    }

    public static ulong Hex(string value)
    {
        var token = value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return ulong.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public static string Quoted(string value)
    {
        var first = value.IndexOf('"', StringComparison.Ordinal);
        var last = value.LastIndexOf('"');
        return value[(first + 1)..last];
    }

    [GeneratedRegex(@"^\[([0-9A-F]{3})h (\d{4}) +(\d+)\] +(.+?) : (.*)$")]
    private static partial Regex FieldLine();
}
