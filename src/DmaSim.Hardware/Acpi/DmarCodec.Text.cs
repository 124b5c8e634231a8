using System.Globalization;
using System.Text;
using DmaSim.Core;

namespace DmaSim.Hardware.Acpi;

public static partial class DmarCodec
{
    private const int AcpidumpBytesPerLine = 16;

    /// <summary>
    /// Decodes the <c>DMAR @ 0x…</c> block of <c>acpidump</c> text output, or failing that the "Raw Table Data:" dump
    /// that <c>iasl -d</c> appends to a .dsl: lines "    OOOO: HH HH … (16 bytes)  ascii", offsets consecutive from 0,
    /// ended by a blank line or the end of the text. Syntax errors name the line and column; table errors name the
    /// byte offset and the line holding it.
    /// </summary>
    /// <exception cref="InputException">No DMAR block, a malformed hex line, or a malformed table.</exception>
    public static DmarTable ParseAcpidump(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var lines = text.Split('\n');
        var start = FindTitle(lines, AcpidumpTitle);
        if (start < 0) start = FindTitle(lines, IaslRawDumpTitle);
        if (start < 0)
        {
            var found = OtherTables(lines);
            throw new InputException(new SourceSpan(fileName, 0, 0), found.Count > 0
                ? $"no DMAR table in this dump (found: {string.Join(", ", found)})"
                : $"no \"{AcpidumpTitle}...\" block (acpidump) or \"{IaslRawDumpTitle}\" dump (iasl) in this text");
        }

        var bytes = new List<byte>();
        var firstDataLine = start + 2;
        var lastDataLine = firstDataLine;
        for (var i = start + 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                if (bytes.Count == 0) continue; // tolerate a blank line right after the title
                break;
            }
            var lineNo = i + 1;
            if (bytes.Count == 0) firstDataLine = lineNo;
            lastDataLine = lineNo;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var indent = line.Length - line.TrimStart().Length;
            if (colon < 0)
                throw new InputException(new SourceSpan(fileName, lineNo, indent + 1), "expected \"OOOO: HH HH ...\" (an acpidump hex line)");
            var offsetText = line[indent..colon];
            if (!long.TryParse(offsetText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lineOffset))
                throw new InputException(new SourceSpan(fileName, lineNo, indent + 1), $"\"{offsetText}\" is not a hex offset");
            if (lineOffset != bytes.Count)
                throw new InputException(new SourceSpan(fileName, lineNo, indent + 1),
                    $"line offset 0x{lineOffset:X4} does not follow the {bytes.Count} byte(s) read so far (expected 0x{bytes.Count:X4})");
            // The hex area is 16 " HH" cells (48 columns) after the colon; the ASCII rendering follows it.
            var hexStart = colon + 1;
            var hexArea = line.Length - hexStart > 48 ? line.Substring(hexStart, 48) : line[hexStart..];
            var count = 0;
            var col = 0;
            while (col < hexArea.Length)
            {
                if (hexArea[col] == ' ') { col++; continue; }
                var end = col;
                while (end < hexArea.Length && hexArea[end] != ' ') end++;
                if (end - col != 2 || !byte.TryParse(hexArea.AsSpan(col, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                    throw new InputException(new SourceSpan(fileName, lineNo, hexStart + col + 1), $"\"{hexArea[col..end]}\" is not a two-digit hex byte");
                bytes.Add(b);
                count++;
                col = end;
            }
            if (count == 0)
                throw new InputException(new SourceSpan(fileName, lineNo, hexStart + 1), "no hex bytes on this line");
        }
        if (bytes.Count == 0)
            throw new InputException(new SourceSpan(fileName, start + 1, 1), "the DMAR block holds no hex lines");

        try
        {
            return Parse(bytes.ToArray(), fileName);
        }
        catch (InputException e) when (e.Where.ByteOffset >= 0)
        {
            // The hex line holding that byte (the last line when the byte lies past the end).
            var line = (int)Math.Min(firstDataLine + (e.Where.ByteOffset / AcpidumpBytesPerLine), lastDataLine);
            throw new InputException(new SourceSpan(fileName, line, 1),
                $"at table byte offset {e.Where.ByteOffset} (0x{e.Where.ByteOffset:x}): {e.Problem}");
        }
    }

    private const string AcpidumpTitle = "DMAR @ 0x";
    private const string IaslRawDumpTitle = "Raw Table Data:";

    /// <summary>Signatures of the tables an acpidump text holds ("APIC @ 0x…" titles), in dump order, each once.</summary>
    private static List<string> OtherTables(string[] lines)
    {
        var found = new List<string>();
        foreach (var line in lines)
        {
            var t = line.Trim();
            if (t.Length > 9 && t[4] == ' ' && t.AsSpan(5, 4).SequenceEqual("@ 0x") && t[..4].All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
                && !found.Contains(t[..4]))
                found.Add(t[..4]);
        }
        return found;
    }

    private static int FindTitle(string[] lines, string title)
    {
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].TrimStart().StartsWith(title, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>
    /// Reads a DMAR table from a file holding the raw table bytes, acpidump text, or iasl output with its raw dump
    /// (.dsl, linuxhw decodes), detected by content: a raw table starts with "DMAR" and a binary length.
    /// </summary>
    /// <exception cref="InputException">Unreadable file or malformed table.</exception>
    public static DmarTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = InputFiles.ReadBytes(path, "DMAR table", InputFiles.MaxTableBytes);
        return LooksLikeText(bytes) ? ParseAcpidump(Encoding.Latin1.GetString(bytes), path) : Parse(bytes, path);
    }

    /// <summary>True when the bytes are acpidump or iasl text rather than a raw table.</summary>
    public static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 5 && bytes[..4].SequenceEqual("DMAR"u8) && bytes[4] is not ((byte)' ' or (byte)'\n' or (byte)'\r'))
            return false; // a raw table: "DMAR" then a binary length
        // Any acpidump title ("SSDT @ 0x…") marks text too, so a dump without a DMAR says so instead of
        // being read as a raw table whose signature is "SSDT".
        return bytes.IndexOf(" @ 0x"u8) >= 0 || bytes.IndexOf("Raw Table Data:"u8) >= 0;
    }
}
