using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Bench;
using Spectre.Console;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim bench</c>: the simulator's dma_map_benchmark (tools/testing/selftests/dma/dma_map_benchmark.c,
/// kernel/dma/map_benchmark.c). Wiring only: the engine is DmaSim.Simulation.Bench.MapBenchmark.
/// </summary>
internal static class BenchCommand
{
    private static readonly string[] Directions = ["bidirectional", "to-device", "from-device"];

    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "strict, lazy, passthrough, swiotlb, direct or iova (the IOVA allocator alone).", DefaultValueFactory = _ => "strict" };
        mode.AcceptOnlyFromAmong([.. MapBenchmark.ModeNames]);
        var threads = new Option<int>("--threads", "-t") { Description = "Threads; each runs its own simulated machine (1..1024).", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds", "-s") { Description = "How long to run (0 < s <= 300).", DefaultValueFactory = _ => 2 };
        var granule = new Option<int>("--granule", "-g") { Description = "Pages per map/unmap (1..1024).", DefaultValueFactory = _ => 1 };
        var dir = new Option<string>("--dir", "-d") { Description = "bidirectional, to-device or from-device.", DefaultValueFactory = _ => "bidirectional" };
        dir.AcceptOnlyFromAmong(Directions);
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("bench", "Time dma_map_single/dma_unmap_single on a simulated machine, like the kernel's dma_map_benchmark.")
        {
            mode, threads, seconds, granule, dir, format,
        };
        command.SetAction(parse => Execute(new BenchOptions(
            parse.GetValue(mode) ?? "strict", parse.GetValue(threads), parse.GetValue(seconds), parse.GetValue(granule),
            parse.GetValue(dir) ?? "bidirectional", parse.GetValue(format) ?? "text")));
        return command;
    }

    private sealed record BenchOptions(string Mode, int Threads, double Seconds, int Granule, string Dir, string Format);

    private static int Execute(BenchOptions o)
    {
        var options = new MapBenchOptions
        {
            Mode = MapBenchmark.ParseMode(o.Mode) ?? MapBenchMode.Strict,
            Threads = o.Threads,
            Seconds = o.Seconds,
            Granule = o.Granule,
            Direction = o.Dir switch { "to-device" => DmaDirection.ToDevice, "from-device" => DmaDirection.FromDevice, _ => DmaDirection.Bidirectional },
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The first line only: ArgumentOutOfRangeException appends the parameter and value on more lines.
            var problem = e.Message.Split('\n')[0].Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new InputException(SourceSpan.Option(OptionOf(e.ParamName)), $"{problem}, not {e.ActualValue}");
        }
        var bench = new MapBenchmark(options);
        var result = RunWithProgress(bench);
        Console.Out.Write(o.Format == "json" ? Json(result) : Text(result));
        return ExitCodes.Ok;
    }

    /// <summary>The run on a worker, a Spectre.Console progress bar on stderr (stdout stays clean for JSON).</summary>
    private static string OptionOf(string? parameter) => parameter switch
    {
        nameof(MapBenchOptions.Threads) => "--threads",
        nameof(MapBenchOptions.Seconds) => "--seconds",
        nameof(MapBenchOptions.Granule) => "--granule",
        nameof(MapBenchOptions.Direction) => "--dir",
        _ => "--mode",
    };

    private static MapBenchResult RunWithProgress(MapBenchmark bench)
    {
        var run = Task.Run(() => bench.Run());
        if (Console.IsErrorRedirected) return run.GetAwaiter().GetResult();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var seconds = bench.Options.Seconds;
                var task = ctx.AddTask($"bench {MapBenchmark.NameOf(bench.Options.Mode)}", maxValue: seconds);
                while (!run.Wait(100))
                {
                    var elapsed = bench.ElapsedSeconds;
                    task.Value = Math.Min(seconds, elapsed);
                    task.Description = elapsed == 0
                        ? $"bench {MapBenchmark.NameOf(bench.Options.Mode)}: warming up ({MapBenchmark.WarmupIterations:N0} untimed iterations per thread)"
                        : string.Create(CultureInfo.InvariantCulture, $"bench {MapBenchmark.NameOf(bench.Options.Mode)}: {bench.Iterations:N0} map+unmap");
                }
                task.Value = seconds;
            });
        return run.GetAwaiter().GetResult();
    }

    private static string DirName(DmaDirection d) => d switch
    {
        DmaDirection.ToDevice => "TO_DEVICE",
        DmaDirection.FromDevice => "FROM_DEVICE",
        _ => "BIDIRECTIONAL",
    };

    // dma_map_benchmark.c prints latencies in µs with one decimal; the simulator's are in ns.
    private static string Text(MapBenchResult r)
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"dma mapping benchmark (simulated, {BenchMachines.Profile}, {r.DmaOps}): mode:{r.ModeName} threads:{r.Threads} seconds:{r.ElapsedSeconds:F1} dir:{DirName(r.Direction)} granule:{r.Granule}");
        sb.AppendLine(c, $"average map latency(ns):{r.MapNs:F1} standard deviation:{r.MapStddevNs:F1}");
        sb.AppendLine(c, $"average unmap latency(ns):{r.UnmapNs:F1} standard deviation:{r.UnmapStddevNs:F1}");
        sb.AppendLine(c, $"total: {r.Iterations:N0} map+unmap pairs, {r.OpsPerSecond:N0} ops/s (one op = one map+unmap pair)");
        sb.AppendLine(c, $"threads: {r.Threading}");
        sb.AppendLine(c, $"note: each latency includes ~{r.TimerOverheadNs:F0} ns of timestamp overhead (as ktime_get adds in the kernel)");
        return sb.ToString();
    }

    private static string Json(MapBenchResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", "dmasim-bench/v1");
            w.WriteString("tool", "dma_map_benchmark (simulated)");
            w.WriteString("mode", r.ModeName);
            w.WriteNumber("threads", r.Threads);
            w.WriteNumber("mapNs", Math.Round(r.MapNs, 1));
            w.WriteNumber("mapStddevNs", Math.Round(r.MapStddevNs, 1));
            w.WriteNumber("unmapNs", Math.Round(r.UnmapNs, 1));
            w.WriteNumber("unmapStddevNs", Math.Round(r.UnmapStddevNs, 1));
            w.WriteNumber("opsPerSecond", Math.Round(r.OpsPerSecond));
            w.WriteNumber("iterations", r.Iterations);
            w.WriteNumber("seconds", Math.Round(r.ElapsedSeconds, 3));
            w.WriteNumber("granule", r.Granule);
            w.WriteString("dir", DirName(r.Direction));
            w.WriteString("profile", BenchMachines.Profile);
            w.WriteString("dmaOps", r.DmaOps);
            w.WriteNumber("timerOverheadNs", Math.Round(r.TimerOverheadNs, 1));
            w.WriteString("threading", r.Threading);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }
}
