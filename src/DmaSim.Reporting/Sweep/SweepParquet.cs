using System.Text.Json.Serialization;
using DmaSim.Simulation.Sweep;
using Parquet;
using Parquet.Schema;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// The same rows as a Parquet file (Parquet.Net) for DuckDB and pandas: `axes` is a map column, findings
/// and broken expectations are list columns, the rest one column per JSON field. Written and read column by
/// column with Parquet.Net's low-level API (no ParquetSerializer, which compiles expression trees at run
/// time and so fails in a Native AOT build); the schema and the levels are the ones the serializer wrote
/// for <see cref="Row"/>, and SweepParquetTests checks the bytes are the same.
/// </summary>
public static class SweepParquet
{
    /// <summary>A Parquet row as read back; the column names are the JSON rows' field names.</summary>
    public sealed class Row
    {
        [JsonPropertyName("cell")]
        public int Cell { get; set; }
        [JsonPropertyName("axes")]
        public Dictionary<string, string> Axes { get; set; } = [];
        [JsonPropertyName("scenario")]
        public string Scenario { get; set; } = "";
        [JsonPropertyName("profile")]
        public string Profile { get; set; } = "";
        [JsonPropertyName("cmdline")]
        public string Cmdline { get; set; } = "";
        [JsonPropertyName("device")]
        public string Device { get; set; } = "";
        [JsonPropertyName("domain")]
        public string Domain { get; set; } = "";
        [JsonPropertyName("group")]
        public int? Group { get; set; }
        [JsonPropertyName("flush")]
        public string? Flush { get; set; }
        [JsonPropertyName("dmaOps")]
        public string DmaOps { get; set; } = "";
        [JsonPropertyName("outcome")]
        public string Outcome { get; set; } = "";
        [JsonPropertyName("findings")]
        public List<string> Findings { get; set; } = [];
        [JsonPropertyName("expectationsHeld")]
        public int ExpectationsHeld { get; set; }
        [JsonPropertyName("expectationsBroken")]
        public List<string> ExpectationsBroken { get; set; } = [];
    }

    /// <summary>
    /// Rows per row group. A sweep writes one group each time this many rows have arrived, so its Parquet
    /// file streams like its JSON Lines; `sweep merge` groups the same way and writes the same bytes.
    /// </summary>
    public const int RowGroupRows = 65_536;

    private static readonly DataField<int> _cell = new("cell");
    private static readonly MapField _axes = new("axes", new DataField<string>("key", false), new DataField<string>("value"));
    private static readonly DataField<string> _scenario = new("scenario");
    private static readonly DataField<string> _profile = new("profile");
    private static readonly DataField<string> _cmdline = new("cmdline");
    private static readonly DataField<string> _device = new("device");
    private static readonly DataField<string> _domain = new("domain");
    private static readonly DataField<int?> _group = new("group");
    private static readonly DataField<string> _flush = new("flush");
    private static readonly DataField<string> _dmaOps = new("dmaOps");
    private static readonly DataField<string> _outcome = new("outcome");
    private static readonly ListField _findings = new("findings", new DataField<string>("element"));
    private static readonly DataField<int> _expectationsHeld = new("expectationsHeld");
    private static readonly ListField _expectationsBroken = new("expectationsBroken", new DataField<string>("element"));

    /// <summary>The file's schema: the one ParquetSerializer derived from <see cref="Row"/> (same names, types, nullability and nesting).</summary>
    public static ParquetSchema Schema { get; } = new(
        _cell, _axes, _scenario, _profile, _cmdline, _device, _domain, _group, _flush, _dmaOps, _outcome, _findings, _expectationsHeld, _expectationsBroken);

    /// <summary>All rows at once (in groups of <see cref="RowGroupRows"/>).</summary>
    public static async Task WriteAsync(Stream output, IEnumerable<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var first = true;
        foreach (var group in rows.Chunk(RowGroupRows))
        {
            await AppendAsync(output, group, first).ConfigureAwait(false);
            first = false;
        }
        if (first) await AppendAsync(output, [], first: true).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="rows"/> as one row group: the file's first (<paramref name="first"/>), or appended to a seekable, readable stream.</summary>
    public static async Task AppendAsync(Stream output, IReadOnlyCollection<SweepRow> rows, bool first)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var writer = await ParquetWriter.CreateAsync(Schema, output, append: !first).ConfigureAwait(false);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(_cell, Column(rows, r => r.Cell)).ConfigureAwait(false);
        await WriteNestedAsync(group, (DataField)_axes.Key, rows, r => r.Axes.Select(a => a.Key).ToList()).ConfigureAwait(false);
        await WriteNestedAsync(group, (DataField)_axes.Value, rows, r => r.Axes.Select(a => a.Value).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_scenario, rows.Select(r => r.Scenario).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_profile, rows.Select(r => r.Profile).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_cmdline, rows.Select(r => r.Cmdline).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_device, rows.Select(r => r.Device).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_domain, rows.Select(r => r.Domain).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_group, Column(rows, r => r.Group)).ConfigureAwait(false);
        await group.WriteAsync(_flush, rows.Select(r => r.Flush).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_dmaOps, rows.Select(r => r.DmaOps).ToList()).ConfigureAwait(false);
        await group.WriteAsync(_outcome, rows.Select(r => r.Outcome).ToList()).ConfigureAwait(false);
        await WriteNestedAsync(group, (DataField)_findings.Item, rows, r => r.Findings).ConfigureAwait(false);
        await group.WriteAsync(_expectationsHeld, Column(rows, r => r.ExpectationsHeld)).ConfigureAwait(false);
        await WriteNestedAsync(group, (DataField)_expectationsBroken.Item, rows, r => r.ExpectationsBroken).ConfigureAwait(false);
    }

    private static ReadOnlyMemory<T> Column<T>(IReadOnlyCollection<SweepRow> rows, Func<SweepRow, T> value) => rows.Select(value).ToArray();

    /// <summary>
    /// A string column inside a map or list of one level: one entry per element (definition level = the
    /// field's maximum; repetition 0 for a row's first, 1 after), and for an empty collection one entry with
    /// definition level 1 (the collection present but empty) and no value, as the serializer wrote.
    /// </summary>
    private static async Task WriteNestedAsync(ParquetRowGroupWriter group, DataField field, IReadOnlyCollection<SweepRow> rows, Func<SweepRow, IReadOnlyList<string>> items)
    {
        var values = new List<ReadOnlyMemory<char>>();
        var definitions = new List<int>();
        var repetitions = new List<int>();
        foreach (var row in rows)
        {
            var list = items(row);
            if (list.Count == 0)
            {
                definitions.Add(1);
                repetitions.Add(0);
                continue;
            }
            for (var i = 0; i < list.Count; i++)
            {
                values.Add(list[i].AsMemory());
                definitions.Add(field.MaxDefinitionLevel);
                repetitions.Add(i == 0 ? 0 : 1);
            }
        }
        await group.WriteAllPartsAsync<ReadOnlyMemory<char>>(field, values.ToArray(), definitions.ToArray(), repetitions.ToArray(), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Every row of the file, in order (tests, and anyone checking a file by hand).</summary>
    public static async Task<IList<Row>> ReadAsync(Stream input)
    {
        await using var reader = await ParquetReader.CreateAsync(input, leaveStreamOpen: true).ConfigureAwait(false);
        var rows = new List<Row>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            rows.AddRange(await SweepParquetReader.ReadGroupAsync(group, reader.Schema).ConfigureAwait(false));
        }
        return rows;
    }
}
