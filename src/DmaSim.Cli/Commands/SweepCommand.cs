using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using DmaSim.Core;
using DmaSim.Reporting.Sweep;
using DmaSim.Scenarios.Sweep;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Cli.Commands;

/// <summary>
/// `dmasim sweep SPEC [-o DIR] [--format text|jsonl] [--shard I/N] [--html FILE] [--shrink] [--emit slurm|k8s] [--quiet]`
/// and `dmasim sweep merge DIR... -o DIR`: wiring only; plans and runs live in DmaSim.Simulation.Sweep,
/// the files in DmaSim.Reporting.Sweep.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "Sweep spec (dmasim-sweep/v1 YAML)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write rows.jsonl, rows.parquet, summary.txt and sweep.json here." };
        var format = new Option<string>("--format") { Description = "Standard output: text (the summary table) or jsonl (the rows).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "jsonl");
        var shard = new Option<string?>("--shard") { Description = "Run only shard I of N (I from 0): every N-th cell starting at I (a fleet of at least N machines: every N-th machine)." };
        var html = new Option<string?>("--html") { Description = "Also write a heat map (axis × axis → worst outcome) to this file." };
        var shrink = new Option<bool>("--shrink") { Description = "Shrink every failing cell to a minimal scenario, written to DIR/shrunk/." };
        var emit = new Option<string?>("--emit") { Description = "Write cluster job files into -o DIR instead of running: slurm or k8s." };
        emit.AcceptOnlyFromAmong("slurm", "k8s");
        var tasks = new Option<int>("--tasks") { Description = "With --emit: number of shards (array tasks / job indexes).", DefaultValueFactory = _ => 4 };
        var dmasimCommand = new Option<string>("--dmasim") { Description = "With --emit: how the cluster runs dmasim.", DefaultValueFactory = _ => "dmasim" };
        var image = new Option<string>("--image") { Description = "With --emit k8s: the container image that has dmasim and the spec.", DefaultValueFactory = _ => "dmasim:latest" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress on standard error." };
        var command = new Command("sweep", "Run every cell of a sweep spec (profiles × command lines × RAM × any scenario value).")
        {
            spec, output, format, shard, html, shrink, emit, tasks, dmasimCommand, image, quiet,
        };
        command.Subcommands.Add(MergeCommand());
        command.SetAction(parse =>
        {
            var o = new SweepOptions(parse.GetValue(spec)!, parse.GetValue(output), parse.GetValue(format) ?? "text", ParseShard(parse.GetValue(shard)),
                parse.GetValue(html), parse.GetValue(shrink), parse.GetValue(quiet));
            if (parse.GetValue(emit) is { } target)
                return Emit(o, target, new ClusterJob(parse.GetValue(tasks), parse.GetValue(dmasimCommand)!, parse.GetValue(image)!));
            return Execute(o);
        });
        return command;
    }

    private sealed record SweepOptions(string Spec, string? Output, string Format, (int Index, int Count)? Shard, string? Html, bool Shrink, bool Quiet);

    private static int Execute(SweepOptions o)
    {
        var spec = SweepSpecLoader.Load(o.Spec);
        var plan = SweepPlan.Create(spec);
        var cells = o.Shard is { } s ? plan.Shard(s.Index, s.Count) : Enumerable.Range(0, plan.CellCount).ToList();
        using var sink = new RowSink(o.Output, o.Format == "jsonl");
        SweepProgress.Run("cells", cells.Count, o.Quiet, tick =>
        {
            SweepRunner.Stream(plan, cells, sink.Add, tick);
            return true;
        });
        sink.Finish(new SweepManifest(spec.Name, Sha256(o.Spec), plan.CellCount, o.Shard?.Index, o.Shard?.Count));
        if (o.Html is { } path) Write(path, SweepHeatMap.Write(spec.Name, sink.Tally));
        if (o.Shrink) ShrinkFailures(plan, sink.FailingCells, o);
        // Failing cells are the sweep's data, not an error: a scheduler must not see a shard as failed for them.
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Where a sweep's rows go as they arrive in cell order: the output folder, standard output (JSON Lines)
    /// or the summary table at the end, the heat map's tally and the failing cells for --shrink. No row is
    /// kept after it has passed through.
    /// </summary>
    private sealed class RowSink(string? dir, bool jsonl) : IDisposable
    {
        private readonly SweepOutputWriter? _files = dir is null ? null : SweepOutputWriter.Create(dir);
        private readonly List<int> _failing = [];

        public SweepTally Tally { get; } = new();

        public IReadOnlyList<int> FailingCells => _failing;

        public void Add(IReadOnlyList<SweepRow> rows)
        {
            foreach (var r in rows)
            {
                Tally.Add(r);
                if (r.Outcome != "ok" && (_failing.Count == 0 || _failing[^1] != r.Cell)) _failing.Add(r.Cell);
            }
            if (jsonl) SweepJsonl.Write(Console.Out, rows);
            _files?.Add(rows);
        }

        public void Finish(SweepManifest manifest)
        {
            _files?.Finish(manifest, Tally);
            if (!jsonl) Console.Out.Write(SweepSummary.Write(manifest.Spec, manifest.Cells, Tally));
        }

        public void Dispose() => _files?.Dispose();
    }

    private static void ShrinkFailures(SweepPlan plan, IReadOnlyList<int> failing, SweepOptions o)
    {
        var dir = Path.Combine(o.Output ?? ".", "shrunk");
        var results = SweepProgress.Run("shrink", failing.Count, o.Quiet, tick => Shrinker.ShrinkAll(plan, failing, tick));
        Directory.CreateDirectory(dir);
        foreach (var r in results)
        {
            var file = Path.Combine(dir, r.FileName);
            File.WriteAllText(file, r.Yaml);
            Console.Error.WriteLine($"cell {r.Cell}: {r.Device} {r.Outcome} → {file} ({r.Summary})");
        }
    }

    private static int Emit(SweepOptions o, string target, ClusterJob job)
    {
        if (o.Output is null) throw Usage("--emit", "needs -o DIR: the results folder on storage every node shares");
        if (job.Tasks is < 1 or > 100_000) throw Usage("--tasks", $"must be between 1 and 100000, not {job.Tasks}");
        var spec = SweepSpecLoader.Load(o.Spec);
        SweepPlan.Create(spec).LoadMachines(); // refuse a spec whose machines cannot load before anything is queued
        var files = target == "slurm"
            ? ClusterScripts.Slurm(spec.Name, Path.GetFullPath(o.Spec), Path.GetFullPath(o.Output), job)
            : ClusterScripts.Kubernetes(spec.Name, o.Spec, o.Output, job);
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(o.Output, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Write(path, text);
            Console.Out.WriteLine(path);
        }
        return ExitCodes.Ok;
    }

    private static Command MergeCommand()
    {
        var dirs = new Argument<string[]>("dir") { Arity = ArgumentArity.OneOrMore, Description = "Shard output folders (each written by `sweep --shard I/N -o DIR`)." };
        var output = new Option<string>("--output", "-o") { Description = "Write the merged output here.", Required = true };
        var format = new Option<string>("--format") { Description = "Standard output: text (the summary table) or jsonl (the rows).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "jsonl");
        var command = new Command("merge", "Merge shard outputs into exactly what the unsharded sweep writes.") { dirs, output, format };
        command.SetAction(parse =>
        {
            var (manifest, rows) = SweepOutput.Merge(parse.GetValue(dirs)!);
            using var sink = new RowSink(parse.GetValue(output)!, parse.GetValue(format) == "jsonl");
            var cell = new List<SweepRow>();
            foreach (var r in rows)
            {
                if (cell.Count > 0 && cell[0].Cell != r.Cell) Pass(sink, cell);
                cell.Add(r);
            }
            Pass(sink, cell);
            sink.Finish(manifest);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One cell's rows to the sink, as a sweep hands them on.</summary>
    private static void Pass(RowSink sink, List<SweepRow> cell)
    {
        if (cell.Count == 0) return;
        sink.Add([.. cell]);
        cell.Clear();
    }

    private static (int, int)? ParseShard(string? text)
    {
        if (text is null) return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && i < n)
            return (i, n);
        throw Usage("--shard", $"'{text}' is not I/N with 0 ≤ I < N (e.g. 0/4 … 3/4)");
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static void Write(string path, string text)
    {
        try
        {
            File.WriteAllText(path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(new SourceSpan(path, 0, 0), $"cannot write: {e.Message}");
        }
    }

    internal static InputException Usage(string option, string problem) => new(new SourceSpan("dmasim", 0, 0), $"{option}: {problem}");
}
