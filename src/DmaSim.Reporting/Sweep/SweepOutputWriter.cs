using System.Text;
using DmaSim.Core;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// A sweep's output folder written as the rows arrive in cell order: each row goes to rows.jsonl at once
/// and into the next Parquet row group; summary.txt and sweep.json are written at the end. Only one row
/// group is held in memory, so a sweep's memory does not grow with its rows.
/// </summary>
public sealed class SweepOutputWriter : IDisposable
{
    private readonly string _dir;
    private readonly StreamWriter _jsonl;
    private readonly FileStream _parquet;
    private readonly List<SweepRow> _group = new(SweepParquet.RowGroupRows);
    private bool _parquetStarted;

    private SweepOutputWriter(string dir, StreamWriter jsonl, FileStream parquet)
    {
        _dir = dir;
        _jsonl = jsonl;
        _parquet = parquet;
    }

    public static SweepOutputWriter Create(string dir) => Guard(dir, () =>
    {
        Directory.CreateDirectory(dir);
        var jsonl = new StreamWriter(Path.Combine(dir, SweepOutput.RowsFile), false, new UTF8Encoding(false));
        // Read and write: Parquet.Net reads the footer back to append a row group.
        var parquet = new FileStream(Path.Combine(dir, SweepOutput.ParquetFile), FileMode.Create, FileAccess.ReadWrite);
        return new SweepOutputWriter(dir, jsonl, parquet);
    });

    public void Add(IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Guard(_dir, () =>
        {
            SweepJsonl.Write(_jsonl, rows);
            foreach (var r in rows)
            {
                _group.Add(r);
                if (_group.Count == SweepParquet.RowGroupRows) FlushGroup();
            }
            return true;
        });
    }

    /// <summary>Writes what is left, summary.txt from <paramref name="tally"/> (every row added) and sweep.json.</summary>
    public void Finish(SweepManifest manifest, SweepTally tally)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(tally);
        Guard(_dir, () =>
        {
            if (_group.Count > 0 || !_parquetStarted) FlushGroup();
            _jsonl.Flush();
            File.WriteAllText(Path.Combine(_dir, SweepOutput.SummaryFile), SweepSummary.Write(manifest.Spec, manifest.Cells, tally));
            File.WriteAllText(Path.Combine(_dir, SweepOutput.ManifestFile), SweepOutput.ManifestJson(manifest));
            return true;
        });
    }

    public void Dispose()
    {
        _jsonl.Dispose();
        _parquet.Dispose();
    }

    private void FlushGroup()
    {
        SweepParquet.AppendAsync(_parquet, _group, first: !_parquetStarted).GetAwaiter().GetResult();
        _parquetStarted = true;
        _group.Clear();
    }

    private static T Guard<T>(string dir, Func<T> write)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(new SourceSpan(dir, 0, 0), $"cannot write the sweep output: {e.Message}");
        }
    }
}
