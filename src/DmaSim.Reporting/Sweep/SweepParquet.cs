using System.Text.Json.Serialization;
using DmaSim.Simulation.Sweep;
using Parquet.Serialization;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// The same rows as a Parquet file (Parquet.Net) for DuckDB and pandas: `axes` is a map column, findings
/// and broken expectations are list columns, the rest one column per JSON field.
/// </summary>
public static class SweepParquet
{
    /// <summary>A Parquet row; the column names are the JSON rows' field names.</summary>
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

    public static async Task WriteAsync(Stream output, IEnumerable<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var data = rows.Select(r => new Row
        {
            Cell = r.Cell,
            Axes = r.Axes.ToDictionary(a => a.Key, a => a.Value),
            Scenario = r.Scenario,
            Profile = r.Profile,
            Cmdline = r.Cmdline,
            Device = r.Device,
            Domain = r.Domain,
            Group = r.Group,
            Flush = r.Flush,
            DmaOps = r.DmaOps,
            Outcome = r.Outcome,
            Findings = [.. r.Findings],
            ExpectationsHeld = r.ExpectationsHeld,
            ExpectationsBroken = [.. r.ExpectationsBroken],
        }).ToList();
        await ParquetSerializer.SerializeAsync(data, output).ConfigureAwait(false);
    }

    public static async Task<IList<Row>> ReadAsync(Stream input)
    {
        var result = await ParquetSerializer.DeserializeAsync<Row>(input).ConfigureAwait(false);
        return result.Data;
    }
}
