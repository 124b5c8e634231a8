using System.CommandLine;
using System.Globalization;
using System.Text;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Reporting.Bench;
using DmaSim.Simulation.Bench;
using Spectre.Console;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim bench</c>: the simulator's dma_map_benchmark (tools/testing/selftests/dma/dma_map_benchmark.c,
/// kernel/dma/map_benchmark.c). Wiring only: the engine is DmaSim.Simulation.Bench.MapBenchmark.
/// </summary>
internal static class BenchCommand
{
    /// <summary>-d as the kernel tool takes it (0, 1, 2: DMA_MAP_BIDIRECTIONAL, _TO_DEVICE, _FROM_DEVICE) or by name.</summary>
    private static readonly string[] _directions = ["0", "1", "2", "bidirectional", "to-device", "from-device"];

    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "strict, lazy, passthrough, swiotlb, direct or iova (the IOVA allocator alone).", DefaultValueFactory = _ => "strict" };
        mode.AcceptOnlyFromAmong([.. MapBenchmark.ModeNames]);
        var threads = new Option<int>("--threads", "-t") { Description = "Threads; each runs its own simulated machine (1..1024).", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds", "-s") { Description = "How long to run (0 < s <= 300).", DefaultValueFactory = _ => 2 };
        var granule = new Option<int>("--granule", "-g") { Description = "Pages per map/unmap (1..1024).", DefaultValueFactory = _ => 1 };
        var dir = new Option<string>("--dir", "-d") { Description = "0 bidirectional, 1 to-device, 2 from-device (numbers as the kernel tool, or names).", DefaultValueFactory = _ => "0" };
        var node = new Option<int>("--node", "-n") { Description = "NUMA node for the threads (-1: none); the simulated machine has node 0 only.", DefaultValueFactory = _ => -1 };
        var bits = new Option<int?>("--bits", "-b") { Description = "The device's DMA mask in bits (20..64); default: the mode's own (64; 32 for swiotlb). The kernel tool's default is 32." };
        var delay = new Option<int>("--delay", "-x") { Description = "Transfer delay in ns of simulated time between map and unmap, untimed (0..10000000).", DefaultValueFactory = _ => 0 };
        dir.AcceptOnlyFromAmong(_directions);
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("bench", "Time dma_map_single/dma_unmap_single on a simulated machine, like the kernel's dma_map_benchmark.")
        {
            mode, threads, seconds, node, bits, delay, granule, dir, format,
        };
        command.SetAction(parse => Execute(new BenchOptions(
            parse.GetValue(mode) ?? "strict", parse.GetValue(threads), parse.GetValue(seconds), parse.GetValue(granule),
            parse.GetValue(dir) ?? "0", parse.GetValue(format) ?? "text", parse.GetValue(node), parse.GetValue(bits), parse.GetValue(delay),
            Typed(parse, threads, seconds, granule, dir, node, bits, delay))));
        return command;
    }

    private sealed record BenchOptions(string Mode, int Threads, double Seconds, int Granule, string Dir, string Format, int Node, int? Bits, int DelayNs,
        IReadOnlyDictionary<string, string> Spelled);

    /// <summary>How the user wrote each option (`-b` as the kernel tool, or `--bits`), so an error names it the same way.</summary>
    private static Dictionary<string, string> Typed(ParseResult parse, params Option[] options) =>
        options.ToDictionary(o => o.Name, o => parse.GetResult(o)?.IdentifierToken?.Value ?? o.Name, StringComparer.Ordinal);

    private static int Execute(BenchOptions o)
    {
        var options = new MapBenchOptions
        {
            Mode = MapBenchmark.ParseMode(o.Mode) ?? MapBenchMode.Strict,
            Threads = o.Threads,
            Seconds = o.Seconds,
            Granule = o.Granule,
            Direction = o.Dir switch { "1" or "to-device" => DmaDirection.ToDevice, "2" or "from-device" => DmaDirection.FromDevice, _ => DmaDirection.Bidirectional },
            Node = o.Node,
            DmaBits = o.Bits,
            TransferDelayNs = o.DelayNs,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The first line only: ArgumentOutOfRangeException appends the parameter and value on more lines.
            var problem = e.Message.Split('\n')[0].Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new InputException(SourceSpan.Option(OptionOf(e.ParamName, o.Spelled)), $"{problem}, not {e.ActualValue}");
        }
        var bench = new MapBenchmark(options);
        var result = RunWithProgress(bench);
        Console.Out.Write(o.Format == "json" ? BenchJson.Map(result, options) : Text(result, options));
        return ExitCodes.Ok;
    }

    /// <summary>The run on a worker, a Spectre.Console progress bar on stderr (stdout stays clean for JSON).</summary>
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

    /// <summary>The option a validation failure is about, as the user typed it.</summary>
    private static string OptionOf(string? parameter, IReadOnlyDictionary<string, string> spelled)
    {
        var name = parameter switch
        {
            nameof(MapBenchOptions.Threads) => "--threads",
            nameof(MapBenchOptions.Seconds) => "--seconds",
            nameof(MapBenchOptions.Granule) => "--granule",
            nameof(MapBenchOptions.DmaBits) => "--bits",
            nameof(MapBenchOptions.TransferDelayNs) => "--delay",
            nameof(MapBenchOptions.Node) => "--node",
            nameof(MapBenchOptions.Direction) => "--dir",
            _ => null,
        };
        return name is null ? "bench" : spelled.GetValueOrDefault(name, name);
    }

    // dma_map_benchmark.c prints latencies in µs with one decimal; the simulator's are in ns.
    /// <summary>The kernel tool's three lines first (µs, one decimal, as tools/testing/selftests/dma/dma_map_benchmark.c prints them), then ours in ns.</summary>
    private static string Text(MapBenchResult r, MapBenchOptions o)
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"dma mapping benchmark: threads:{r.Threads} seconds:{o.Seconds:0.###} node:{o.Node} dir:{r.DirName} granule: {r.Granule}");
        sb.AppendLine(c, $"average map latency(us):{r.MapNs / 1000:F1} standard deviation:{r.MapStddevNs / 1000:F1}");
        sb.AppendLine(c, $"average unmap latency(us):{r.UnmapNs / 1000:F1} standard deviation:{r.UnmapStddevNs / 1000:F1}");
        sb.AppendLine(c, $"simulated: {BenchMachines.Profile}, {r.DmaOps}, mode {r.ModeName}, dma bits {BenchMachines.DmaBitsOf(o.Mode, o.DmaBits)}, transfer delay {o.TransferDelayNs} ns, ran {r.ElapsedSeconds:F1} s");
        if (o.Node >= 0) sb.AppendLine(c, $"note: node {o.Node} accepted; the simulated machine has one NUMA node, so it changes nothing");
        sb.AppendLine(c, $"average map latency(ns):{r.MapNs:F1} standard deviation:{r.MapStddevNs:F1}");
        sb.AppendLine(c, $"average unmap latency(ns):{r.UnmapNs:F1} standard deviation:{r.UnmapStddevNs:F1}");
        sb.AppendLine(c, $"total: {r.Iterations:N0} map+unmap pairs, {r.OpsPerSecond:N0} ops/s (one op = one map+unmap pair)");
        sb.AppendLine(c, $"threads: {r.Threading}");
        sb.AppendLine(c, $"note: each latency includes ~{r.TimerOverheadNs:F0} ns of timestamp overhead (as ktime_get adds in the kernel)");
        return sb.ToString();
    }
}
