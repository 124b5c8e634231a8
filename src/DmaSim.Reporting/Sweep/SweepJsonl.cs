using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DmaSim.Core;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// Sweep rows as JSON Lines, one object per (cell, device), fields in a fixed order: the contract type
/// <see cref="SweepRowJson"/> serialized by System.Text.Json's source generator, one row at a time into one
/// reused writer. The reader is the writer's inverse (what `sweep merge` relies on to rewrite the Parquet file
/// and the summary).
/// </summary>
public static class SweepJsonl
{
    /// <summary>Without \uXXXX escapes for quotes and '+' (command lines are full of them).</summary>
    private static readonly JsonWriterOptions _options = new() { Encoder = ContractJson.Relaxed };

    public static string Line(SweepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return JsonSerializer.Serialize(Contract(row), SweepJsonContext.Relaxed.SweepRowJson);
    }

    public static void Write(TextWriter output, IEnumerable<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        var buffer = new ArrayBufferWriter<byte>();
        using var w = new Utf8JsonWriter(buffer, _options);
        foreach (var r in rows)
        {
            buffer.ResetWrittenCount();
            w.Reset(buffer);
            JsonSerializer.Serialize(w, Contract(r), SweepJsonContext.Relaxed.SweepRowJson);
            w.Flush();
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            output.Write('\n');
        }
    }

    private static SweepRowJson Contract(SweepRow r)
    {
        var axes = new OrderedDictionary<string, string>(r.Axes.Count, StringComparer.Ordinal);
        foreach (var (k, v) in r.Axes) axes.Add(k, v);
        return new(r.Cell, axes, r.Scenario, r.Profile, r.Cmdline, r.Device, r.Domain, r.Group, r.Flush, r.DmaOps, r.Outcome,
            r.Findings, new SweepExpectationsJson(r.ExpectationsHeld, r.ExpectationsBroken));
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

/// <summary>dmasim-sweep-row/v1: one device in one cell; <c>axes</c> in the spec's order, <c>group</c> and <c>flush</c> null when unknown.</summary>
internal sealed record SweepRowJson(
    int Cell, OrderedDictionary<string, string> Axes, string Scenario, string Profile, string Cmdline, string Device, string Domain,
    int? Group, string? Flush, string DmaOps, string Outcome, IReadOnlyList<string> Findings, SweepExpectationsJson Expectations);

internal sealed record SweepExpectationsJson(int Held, IReadOnlyList<string> Broken);

/// <summary>sweep.json; <c>shard</c> is "I/N", or null for a whole sweep.</summary>
internal sealed record SweepManifestJson(string Schema, string Spec, string SpecSha256, int Cells, string? Shard);

/// <summary>
/// <see cref="Default"/> writes the manifest (indented, the default encoder, as sweep.json always was);
/// <see cref="Relaxed"/> writes rows (one line each, without \uXXXX escapes).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SweepRowJson))]
[JsonSerializable(typeof(SweepManifestJson))]
internal sealed partial class SweepJsonContext : JsonSerializerContext
{
    internal static SweepJsonContext Relaxed { get; } = new(ContractJson.Options(indented: false, ContractJson.Relaxed));
}
