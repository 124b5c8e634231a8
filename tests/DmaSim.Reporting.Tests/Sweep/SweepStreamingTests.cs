using DmaSim.Reporting.Sweep;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Tests.Sweep;

/// <summary>
/// The output folder written as rows arrive: past one Parquet row group the file holds several groups and
/// every row in order, and arriving a cell at a time writes the same bytes as all rows at once (what
/// `sweep merge` relies on to match an unsharded run).
/// </summary>
public sealed class SweepStreamingTests
{
    private static SweepRow Row(int cell, int device) => new(
        cell, [new("machine", $"m{cell % 97}"), new("profile", cell % 3 == 0 ? "linux-6.1" : "linux-3.0")], "fleet", "linux-6.1", "intel_iommu=on",
        $"dev{device}", "dma", device, device % 2 == 0 ? "strict" : null, "intel-iommu", cell % 11 == 0 ? "stall" : "ok", cell % 11 == 0 ? ["stall"] : [], 0, []);

    private static List<SweepRow> Cells(int cells, int devicesPerCell) =>
        [.. Enumerable.Range(0, cells).SelectMany(c => Enumerable.Range(0, devicesPerCell).Select(d => Row(c, d)))];

    [Fact]
    public async Task Rows_past_one_row_group_stream_into_several_groups_in_order()
    {
        var rows = Cells(SweepParquet.RowGroupRows / 4 + 10, 4); // one group and 40 rows more
        var dir = Directory.CreateTempSubdirectory().FullName;
        var tally = new SweepTally();
        using (var w = SweepOutputWriter.Create(dir))
        {
            foreach (var cell in rows.GroupBy(r => r.Cell))
            {
                var list = cell.ToList();
                foreach (var r in list) tally.Add(r);
                w.Add(list);
            }
            w.Finish(new SweepManifest("s", "00", rows.Count / 4, null, null), tally);
        }
        await using var parquet = File.OpenRead(Path.Combine(dir, SweepOutput.ParquetFile));
        await using var reader = await Parquet.ParquetReader.CreateAsync(parquet);
        Assert.Equal(2, reader.RowGroupCount);
        parquet.Position = 0;
        var back = await SweepParquet.ReadAsync(parquet);
        Assert.Equal(rows.Select(r => (r.Cell, r.Device, r.Outcome)), back.Select(r => (r.Cell, r.Device, r.Outcome)));
        Assert.Equal(rows.Count, SweepJsonl.Read(Path.Combine(dir, SweepOutput.RowsFile)).Count);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Writing_a_cell_at_a_time_and_all_at_once_give_the_same_files()
    {
        var rows = Cells(SweepParquet.RowGroupRows / 3 + 5, 3);
        var manifest = new SweepManifest("s", "00", rows.Count / 3, null, null);
        var whole = Directory.CreateTempSubdirectory().FullName;
        var streamed = Directory.CreateTempSubdirectory().FullName;
        SweepOutput.Write(whole, manifest, rows);
        var tally = new SweepTally();
        using (var w = SweepOutputWriter.Create(streamed))
        {
            foreach (var r in rows)
            {
                tally.Add(r);
                w.Add([r]);
            }
            w.Finish(manifest, tally);
        }
        foreach (var f in new[] { SweepOutput.RowsFile, SweepOutput.ParquetFile, SweepOutput.SummaryFile, SweepOutput.ManifestFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, f)), File.ReadAllBytes(Path.Combine(streamed, f)));
        Directory.Delete(whole, recursive: true);
        Directory.Delete(streamed, recursive: true);
    }

    [Fact]
    public void Merge_interleaves_shards_by_cell_without_reading_them_whole()
    {
        var rows = Cells(50, 2);
        var dirs = new List<string>();
        for (var shard = 0; shard < 3; shard++)
        {
            var dir = Directory.CreateTempSubdirectory().FullName;
            SweepOutput.Write(dir, new SweepManifest("s", "00", 50, shard, 3), [.. rows.Where(r => r.Cell % 3 == shard)]);
            dirs.Add(dir);
        }
        var (manifest, merged) = SweepOutput.Merge(dirs);
        Assert.Null(manifest.ShardIndex);
        Assert.Equal(rows.Select(SweepJsonl.Line), merged.Select(SweepJsonl.Line));
        foreach (var d in dirs) Directory.Delete(d, recursive: true);
    }
}
