using System.Text.Json;
using DmaSim.Reporting.Sweep;
using DmaSim.Simulation.Sweep;
using Parquet;
using Parquet.Serialization;

namespace DmaSim.Reporting.Tests.Sweep;

/// <summary>
/// SweepParquet writes column by column (trim-safe, for Native AOT) what Parquet.Net's ParquetSerializer wrote
/// for <see cref="SweepParquet.Row"/> before: the same schema, the same bytes, row groups appended the same way,
/// and it reads back what the serializer reads back. Empty maps and lists, nulls and several list items included.
/// </summary>
public sealed class SweepParquetTests
{
    private static SweepRow Row(int cell, string outcome, int? group) => new(
        cell, cell == 2 ? [] : [new("profile", "linux-6.1"), new("ram", $"{cell + 2}GiB")], "seed", "linux-6.1", "intel_iommu=on", $"dev{cell}", "dma", group,
        outcome == "ok" ? null : "lazy", "intel-iommu", outcome, outcome == "ok" ? [] : ["stall", "dma-outside-map"], cell, outcome == "ok" ? [] : ["dev: ok"]);

    private static readonly SweepRow[] _first = [Row(0, "ok", null), Row(1, "stall", 3)];
    private static readonly SweepRow[] _second = [Row(2, "ok", 1), Row(3, "fault", null), Row(4, "ok", null)];

    private static SweepParquet.Row Serialized(SweepRow r) => new()
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
    };

    private static async Task<byte[]> WithSerializer()
    {
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(_first.Select(Serialized), stream, new ParquetOptions { RowGroupSize = SweepParquet.RowGroupRows });
        await ParquetSerializer.SerializeAsync(_second.Select(Serialized), stream, new ParquetOptions { Append = true, RowGroupSize = SweepParquet.RowGroupRows });
        return stream.ToArray();
    }

    private static async Task<byte[]> WithColumns()
    {
        using var stream = new MemoryStream();
        await SweepParquet.AppendAsync(stream, _first, first: true);
        await SweepParquet.AppendAsync(stream, _second, first: false);
        return stream.ToArray();
    }

    [Fact]
    public void The_schema_is_the_one_the_serializer_derives_from_Row() =>
        Assert.Equal(typeof(SweepParquet.Row).GetParquetSchema(true), SweepParquet.Schema);

    [Fact]
    public async Task Two_appended_row_groups_are_the_bytes_the_serializer_wrote() =>
        Assert.Equal(await WithSerializer(), await WithColumns());

    [Fact]
    public async Task Reading_back_gives_what_the_serializer_reads()
    {
        using var stream = new MemoryStream(await WithColumns());
        var back = await SweepParquet.ReadAsync(stream);
        stream.Position = 0;
        var serializer = (await ParquetSerializer.DeserializeAsync<SweepParquet.Row>(stream)).Data;
        Assert.Equal(JsonSerializer.Serialize(serializer), JsonSerializer.Serialize(back));
        Assert.Equal(JsonSerializer.Serialize(_first.Concat(_second).Select(Serialized)), JsonSerializer.Serialize(back));
    }
}
