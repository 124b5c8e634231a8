using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DmaSim.Core;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// Sweep rows as JSON Lines, one object per (cell, device), fields in a fixed order. The reader is the
/// writer's inverse (what `sweep merge` relies on to rewrite the Parquet file and the summary).
/// </summary>
public static class SweepJsonl
{
    private static readonly JsonWriterOptions _options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Line(SweepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, _options))
        {
            w.WriteStartObject();
            w.WriteNumber("cell", row.Cell);
            w.WriteStartObject("axes");
            foreach (var (k, v) in row.Axes) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteString("scenario", row.Scenario);
            w.WriteString("profile", row.Profile);
            w.WriteString("cmdline", row.Cmdline);
            w.WriteString("device", row.Device);
            w.WriteString("domain", row.Domain);
            if (row.Group is { } g) w.WriteNumber("group", g);
            else w.WriteNull("group");
            if (row.Flush is { } f) w.WriteString("flush", f);
            else w.WriteNull("flush");
            w.WriteString("dmaOps", row.DmaOps);
            w.WriteString("outcome", row.Outcome);
            w.WriteStartArray("findings");
            foreach (var k in row.Findings) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteStartObject("expectations");
            w.WriteNumber("held", row.ExpectationsHeld);
            w.WriteStartArray("broken");
            foreach (var b in row.ExpectationsBroken) w.WriteStringValue(b);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(TextWriter output, IEnumerable<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var r in rows) output.Write(Line(r) + "\n");
    }

    /// <summary>Reads rows back; a line that is not a sweep row is bad input at its line.</summary>
    public static List<SweepRow> Read(string path) => [.. ReadRows(path)];

    /// <summary>The rows of a file one at a time, as <see cref="Read"/> reads them.</summary>
    public static IEnumerable<SweepRow> ReadRows(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            yield return ParseAt(path, number, line);
        }
    }

    private static SweepRow ParseAt(string path, int number, string line)
    {
        try
        {
            return Parse(line);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InputException(new SourceSpan(path, number, 1), $"not a sweep row: {e.Message}");
        }
    }

    private static SweepRow Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var o = doc.RootElement;
        string? Str(string name) => o.GetProperty(name).ValueKind == JsonValueKind.Null ? null : o.GetProperty(name).GetString();
        var axes = o.GetProperty("axes").EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)).ToList();
        var exp = o.GetProperty("expectations");
        return new SweepRow(
            o.GetProperty("cell").GetInt32(), axes, Str("scenario")!, Str("profile")!, Str("cmdline")!, Str("device")!, Str("domain")!,
            o.GetProperty("group").ValueKind == JsonValueKind.Null ? null : o.GetProperty("group").GetInt32(),
            Str("flush"), Str("dmaOps")!, Str("outcome")!,
            [.. o.GetProperty("findings").EnumerateArray().Select(e => e.GetString()!)],
            exp.GetProperty("held").GetInt32(),
            [.. exp.GetProperty("broken").EnumerateArray().Select(e => e.GetString()!)]);
    }
}
