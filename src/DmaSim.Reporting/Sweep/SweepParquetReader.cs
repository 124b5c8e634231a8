using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace DmaSim.Reporting.Sweep;

/// <summary>Reads one row group of a sweep's Parquet file back into <see cref="SweepParquet.Row"/>s, column by column (no ParquetSerializer, for Native AOT).</summary>
internal static class SweepParquetReader
{
    public static async Task<List<SweepParquet.Row>> ReadGroupAsync(ParquetRowGroupReader group, ParquetSchema schema)
    {
        var n = checked((int)group.RowCount);
        var rows = Enumerable.Range(0, n).Select(_ => new SweepParquet.Row()).ToList();
        var fields = schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var cells = await IntsAsync(group, (DataField)fields["cell"], n).ConfigureAwait(false);
        var held = await IntsAsync(group, (DataField)fields["expectationsHeld"], n).ConfigureAwait(false);
        var groups = new int?[n];
        await group.ReadAsync((DataField)fields["group"], groups.AsMemory()).ConfigureAwait(false);
        var axes = (MapField)fields["axes"];
        var keys = await NestedAsync(group, (DataField)axes.Key, n).ConfigureAwait(false);
        var values = await NestedAsync(group, (DataField)axes.Value, n).ConfigureAwait(false);
        var findings = await NestedAsync(group, (DataField)((ListField)fields["findings"]).Item, n).ConfigureAwait(false);
        var broken = await NestedAsync(group, (DataField)((ListField)fields["expectationsBroken"]).Item, n).ConfigureAwait(false);
        for (var i = 0; i < n; i++)
        {
            var r = rows[i];
            r.Cell = cells[i];
            r.ExpectationsHeld = held[i];
            r.Group = groups[i];
            r.Axes = keys[i].Zip(values[i]).ToDictionary(kv => kv.First, kv => kv.Second, StringComparer.Ordinal);
            r.Findings = findings[i];
            r.ExpectationsBroken = broken[i];
        }
        await StringsAsync(group, fields, "scenario", n, (r, v) => r.Scenario = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "profile", n, (r, v) => r.Profile = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "cmdline", n, (r, v) => r.Cmdline = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "device", n, (r, v) => r.Device = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "domain", n, (r, v) => r.Domain = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "flush", n, (r, v) => r.Flush = v, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "dmaOps", n, (r, v) => r.DmaOps = v!, rows).ConfigureAwait(false);
        await StringsAsync(group, fields, "outcome", n, (r, v) => r.Outcome = v!, rows).ConfigureAwait(false);
        return rows;
    }

    private static async Task<int[]> IntsAsync(ParquetRowGroupReader group, DataField field, int n)
    {
        var values = new int[n];
        await group.ReadAsync(field, values.AsMemory()).ConfigureAwait(false);
        return values;
    }

    private static async Task StringsAsync(ParquetRowGroupReader group, Dictionary<string, Field> fields, string name, int n, Action<SweepParquet.Row, string?> set, List<SweepParquet.Row> rows)
    {
        var values = new string?[n];
        await group.ReadAsync((DataField)fields[name], values.AsMemory()).ConfigureAwait(false);
        for (var i = 0; i < n; i++) set(rows[i], values[i]);
    }

    /// <summary>A map's or list's strings per row: repetition level 0 starts a row; an entry below the maximum definition level is an empty collection.</summary>
    private static async Task<List<string>[]> NestedAsync(ParquetRowGroupReader group, DataField field, int n)
    {
        using var raw = (RawColumnData<ReadOnlyMemory<char>>)await group.ReadRawColumnDataBaseAsync(field).ConfigureAwait(false);
        var result = new List<string>[n];
        var definitions = raw.DefinitionLevels;
        var repetitions = raw.RepetitionLevels;
        var values = raw.Values;
        int row = -1, value = 0;
        for (var i = 0; i < definitions.Length; i++)
        {
            if (repetitions[i] == 0) result[++row] = [];
            if (definitions[i] == field.MaxDefinitionLevel) result[row].Add(values[value++].ToString());
        }
        return result;
    }
}
