using DmaSim.Reporting.Sweep;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Tests.Sweep;

/// <summary>The sweep's files: JSON Lines and Parquet say the same, the summary counts per axis value, the heat map shows the worst.</summary>
public sealed class SweepFilesTests
{
    private static SweepRow Row(int cell, string profile, string ram, string outcome, int? group = null) => new(
        cell, [new("profile", profile), new("ram", ram)], "seed", profile, "intel_iommu=on", "smartarray", "passthrough", group,
        outcome == "ok" ? null : "lazy", "intel-iommu", outcome, outcome == "ok" ? [] : ["stall"], 2, outcome == "ok" ? [] : ["smartarray: ok"]);

    private static readonly SweepRow[] _rows =
        [Row(0, "a", "2GiB", "ok"), Row(1, "a", "8GiB", "stall", 3), Row(2, "b", "2GiB", "ok"), Row(3, "b", "8GiB", "fault")];

    [Fact]
    public void Jsonl_reads_back_to_the_same_rows_and_the_same_text()
    {
        var path = Path.GetTempFileName();
        using (var w = new StreamWriter(path)) SweepJsonl.Write(w, _rows);
        var back = SweepJsonl.Read(path);
        Assert.Equal(_rows.Select(SweepJsonl.Line), back.Select(SweepJsonl.Line));
        Assert.Equal("""{"cell":1,"axes":{"profile":"a","ram":"8GiB"},"scenario":"seed","profile":"a","cmdline":"intel_iommu=on","device":"smartarray","domain":"passthrough","group":3,"flush":"lazy","dmaOps":"intel-iommu","outcome":"stall","findings":["stall"],"expectations":{"held":2,"broken":["smartarray: ok"]}}""",
            SweepJsonl.Line(back[1]));
        File.Delete(path);
    }

    [Fact]
    public async Task Parquet_holds_the_rows_with_map_and_list_columns()
    {
        using var stream = new MemoryStream();
        await SweepParquet.WriteAsync(stream, _rows);
        stream.Position = 0;
        var back = await SweepParquet.ReadAsync(stream);
        Assert.Equal(_rows.Select(r => (r.Cell, r.Outcome, r.Group, r.Flush)), back.Select(r => (r.Cell, r.Outcome, r.Group, r.Flush)));
        Assert.Equal("8GiB", back[3].Axes["ram"]);
        Assert.Equal(["stall"], back[1].Findings);
        Assert.Equal(["smartarray: ok"], back[1].ExpectationsBroken);
        stream.Position = 0;
        var schema = (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<SweepParquet.Row>(stream)).Schema;
        Assert.Equal(["cell", "axes", "scenario", "profile", "cmdline", "device", "domain", "group", "flush", "dmaOps", "outcome", "findings", "expectationsHeld", "expectationsBroken"],
            schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public void Summary_counts_outcomes_per_axis_value()
    {
        var text = SweepSummary.Write("s", 4, _rows);
        Assert.Equal(
            "sweep s: 4 cells, 4 rows (one per device and cell)\n" +
            "axis     value  ok  fault  stall\n" +
            "profile  a       1      0      1\n" +
            "profile  b       1      1      0\n" +
            "ram      2GiB    2      0      0\n" +
            "ram      8GiB    0      1      1\n" +
            "all              2      1      1\n", text);
    }

    [Fact]
    public void Heat_map_shows_the_worst_outcome_of_each_pair()
    {
        var html = SweepHeatMap.Write("s", [.. _rows, Row(4, "b", "8GiB", "ok")]);
        Assert.Contains("<h2>profile × ram</h2>", html, StringComparison.Ordinal);
        Assert.Contains("<tr><th>b</th><td style=\"background:#cfe8cf\">ok</td><td style=\"background:#ffd59e\">fault</td></tr>", html, StringComparison.Ordinal);
    }
}
