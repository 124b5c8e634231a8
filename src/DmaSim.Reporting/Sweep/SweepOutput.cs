using System.Globalization;
using System.Text.Json;
using DmaSim.Core;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>What a sweep output folder holds besides its rows: which spec, how many cells, which shard (null: all of them).</summary>
public sealed record SweepManifest(string Spec, string SpecSha256, int Cells, int? ShardIndex, int? ShardCount)
{
    public const string Schema = "dmasim-sweep-output/v1";
}

/// <summary>
/// A sweep's output folder: rows.jsonl, rows.parquet, summary.txt and sweep.json. `sweep merge` reads
/// shard folders back and writes exactly what one unsharded run writes: rows in cell order, the same
/// Parquet bytes, the same summary, a manifest without a shard.
/// </summary>
public static class SweepOutput
{
    public const string RowsFile = "rows.jsonl", ParquetFile = "rows.parquet", SummaryFile = "summary.txt", ManifestFile = "sweep.json";

    /// <summary>All rows at once: what <see cref="SweepOutputWriter"/> writes when they arrive one cell at a time.</summary>
    public static void Write(string dir, SweepManifest manifest, IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var tally = new SweepTally();
        using var w = SweepOutputWriter.Create(dir);
        foreach (var r in rows) tally.Add(r);
        w.Add(rows);
        w.Finish(manifest, tally);
    }

    /// <summary>
    /// Reads shard folders; they must be the shards 0..N-1 of one spec, each once. The rows come in cell
    /// order, read lazily from the shards' files (each in cell order) and interleaved by cell.
    /// </summary>
    public static (SweepManifest Manifest, IEnumerable<SweepRow> Rows) Merge(IReadOnlyList<string> dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        var parts = dirs.Select(d => (Dir: d, Manifest: ReadManifest(d))).ToList();
        var first = parts[0];
        foreach (var p in parts.Skip(1))
        {
            if (p.Manifest.SpecSha256 != first.Manifest.SpecSha256 || p.Manifest.Cells != first.Manifest.Cells || p.Manifest.Spec != first.Manifest.Spec)
                throw Bad(p.Dir, $"is from another sweep than {first.Dir} (spec '{p.Manifest.Spec}' with {p.Manifest.Cells} cells vs '{first.Manifest.Spec}' with {first.Manifest.Cells})");
        }
        var count = first.Manifest.ShardCount ?? 1;
        var seen = new string?[count];
        foreach (var p in parts)
        {
            if ((p.Manifest.ShardCount ?? 1) != count) throw Bad(p.Dir, $"is shard {Shard(p.Manifest)} but {first.Dir} is shard {Shard(first.Manifest)}: every shard must come from the same --shard I/N split");
            var i = p.Manifest.ShardIndex ?? 0;
            if (seen[i] is { } twice) throw Bad(p.Dir, $"holds shard {i}/{count}, which {twice} holds too");
            seen[i] = p.Dir;
        }
        var missing = Enumerable.Range(0, count).Where(i => seen[i] is null).ToList();
        if (missing.Count > 0) throw Bad(first.Dir, $"shard(s) {string.Join(", ", missing.Select(i => $"{i}/{count}"))} missing: give every shard folder of the sweep");
        var rows = Interleave([.. parts.Select(p => SweepJsonl.ReadRows(Path.Combine(p.Dir, RowsFile)))]);
        return (first.Manifest with { ShardIndex = null, ShardCount = null }, rows);
    }

    /// <summary>Each source is in cell order and holds whole cells; the cell with the lowest number goes next.</summary>
    private static IEnumerable<SweepRow> Interleave(List<IEnumerable<SweepRow>> sources)
    {
        var heads = new PriorityQueue<IEnumerator<SweepRow>, int>();
        var open = new List<IEnumerator<SweepRow>>();
        try
        {
            foreach (var s in sources)
            {
                var e = s.GetEnumerator();
                open.Add(e);
                if (e.MoveNext()) heads.Enqueue(e, e.Current.Cell);
            }
            while (heads.TryDequeue(out var e, out var cell))
            {
                var more = true;
                while (more && e.Current.Cell == cell)
                {
                    yield return e.Current;
                    more = e.MoveNext();
                }
                if (more) heads.Enqueue(e, e.Current.Cell);
            }
        }
        finally
        {
            foreach (var e in open) e.Dispose();
        }
    }

    public static string ManifestJson(SweepManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return JsonSerializer.Serialize(
            new SweepManifestJson(SweepManifest.Schema, m.Spec, m.SpecSha256, m.Cells, m.ShardIndex is { } i ? $"{i}/{m.ShardCount}" : null),
            SweepJsonContext.Default.SweepManifestJson) + "\n";
    }

    private static SweepManifest ReadManifest(string dir)
    {
        var path = Path.Combine(dir, ManifestFile);
        if (!File.Exists(path)) throw Bad(dir, $"is not a sweep output folder (no {ManifestFile})");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var o = doc.RootElement;
            if (o.GetProperty("schema").GetString() != SweepManifest.Schema) throw new InputException(new SourceSpan(path, 1, 1), $"not a {SweepManifest.Schema} manifest");
            var shard = o.GetProperty("shard");
            int? index = null, count = null;
            if (shard.ValueKind != JsonValueKind.Null)
            {
                var parts = shard.GetString()!.Split('/');
                index = int.Parse(parts[0], CultureInfo.InvariantCulture);
                count = int.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return new SweepManifest(o.GetProperty("spec").GetString()!, o.GetProperty("specSha256").GetString()!, o.GetProperty("cells").GetInt32(), index, count);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException or IOException)
        {
            throw new InputException(new SourceSpan(path, 0, 0), $"unreadable sweep manifest: {e.Message}");
        }
    }

    private static string Shard(SweepManifest m) => m.ShardIndex is { } i ? $"{i}/{m.ShardCount}" : "(unsharded)";

    private static InputException Bad(string dir, string problem) => new(new SourceSpan(dir, 0, 0), $"sweep output {problem}");
}
