using System.CommandLine;
using System.Globalization;
using System.Text;
using DmaSim.Reporting.Bench;
using DmaSim.Simulation.Bench;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim iova bench</c>: the IOVA allocator alone on the four fixed workloads of docs/performance.md,
/// defined so a C harness around Linux's drivers/iommu/iova.c can run the same operations. Wiring only:
/// the engine is DmaSim.Simulation.Bench.IovaWorkloads. Options are read as text and checked here so every
/// bad value exits 2 with <c>dmasim: error: --option: ...</c>.
/// </summary>
internal static class IovaBenchCommand
{
    private static readonly string[] _workloads = ["cache-hit", "tree", "churn", "full32"];

    public static Command Create()
    {
        var workload = new Option<string>("--workload") { Description = "cache-hit, tree, churn or full32.", DefaultValueFactory = _ => "cache-hit" };
        var live = new Option<string?>("--live") { Description = "Live ranges (tree: default 256; churn: default 300000)." };
        var ops = new Option<string?>("--ops") { Description = "Timed pairs per repetition (cache-hit 1000000, tree 200000, churn 1000)." };
        var seed = new Option<string?>("--seed") { Description = "xorshift64 seed, decimal or 0x-hex (tree: seed XOR live; default 0x9E3779B97F4A7C15; churn: 0xC0FFEE)." };
        var reps = new Option<string?>("--reps") { Description = "Timed repetitions, each on a fresh domain (3..101, default 5); nsPerPair is their median." };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        var command = new Command("bench", "Time the IOVA allocator on fixed workloads that Linux's iova.c can run too.")
        {
            workload, live, ops, seed, reps, format,
        };
        command.SetAction(parse => Execute(parse.GetValue(workload) ?? "cache-hit", parse.GetValue(live), parse.GetValue(ops),
            parse.GetValue(seed), parse.GetValue(reps), parse.GetValue(format) ?? "text"));
        return command;
    }

    private static int Execute(string workload, string? live, string? ops, string? seed, string? reps, string format)
    {
        IovaBenchOptions options;
        try
        {
            var kind = Array.IndexOf(_workloads, workload);
            if (kind < 0) throw new OptionError("--workload", $"'{workload}' is not one of {string.Join(", ", _workloads)}");
            if (format is not ("text" or "json")) throw new OptionError("--format", $"'{format}' is not text or json");
            options = new IovaBenchOptions
            {
                Workload = (IovaWorkload)kind,
                Live = live is null ? null : (int)Number("--live", live, int.MaxValue),
                Ops = ops is null ? null : (long)Number("--ops", ops, long.MaxValue),
                Seed = seed is null ? null : Number("--seed", seed, ulong.MaxValue),
                Repetitions = reps is null ? 5 : (int)Number("--reps", reps, int.MaxValue),
            };
            if (options.Problem() is { } p) throw new OptionError(p.Option, p.Message);
        }
        catch (OptionError e)
        {
            Console.Error.WriteLine($"dmasim: error: {e.Option}: {e.Message}");
            return ExitCodes.BadInput;
        }
        var result = IovaWorkloads.Run(options);
        Console.Out.Write(format == "json" ? BenchJson.Iova(result, NameOf(result.Options.Workload)) : Text(result));
        return ExitCodes.Ok;
    }

    private sealed class OptionError(string option, string message) : Exception(message)
    {
        public string Option { get; } = option;
    }

    private static ulong Number(string option, string text, ulong max)
    {
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var ok = hex
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        // Digits that do not fit 64 bits are a number too large, not a malformed one.
        if (!ok && !AllDigits(hex ? text[2..] : text, hex)) throw new OptionError(option, $"'{text}' is not a non-negative integer (decimal or 0x-hex)");
        if (!ok || v > max) throw new OptionError(option, $"'{text}' is too large (at most {max})");
        return v;
    }

    private static bool AllDigits(string digits, bool hex) =>
        digits.Length > 0 && digits.All(c => hex ? char.IsAsciiHexDigit(c) : char.IsAsciiDigit(c));

    internal static string NameOf(IovaWorkload w) => _workloads[(int)w];

    /// <summary>Only tree and churn have live ranges and a random stream.</summary>
    private static bool UsesGenerator(IovaWorkload w) => w is IovaWorkload.Tree or IovaWorkload.Churn;

    private static string Text(IovaBenchResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var o = r.Options;
        var sb = new StringBuilder();
        var shape = UsesGenerator(o.Workload) ? string.Create(c, $" live:{o.EffectiveLive} ops:{o.EffectiveOps} seed:0x{o.EffectiveSeed:x}")
            : o.Workload == IovaWorkload.CacheHit ? string.Create(c, $" ops:{o.EffectiveOps}") : "";
        sb.AppendLine(c, $"iova bench (simulated iova.c, granule 4 KiB, start pfn 1): workload:{NameOf(o.Workload)}{shape} reps:{o.Repetitions}");
        if (o.Workload == IovaWorkload.Full32) sb.AppendLine("(full32: ns per pair is the fill's ns per successful allocation; there are no frees)");
        sb.AppendLine(c, $"ns per pair (median of {r.RepetitionNsPerPair.Count}): {r.NsPerPair:F1}   repetitions: {string.Join(" ", r.RepetitionNsPerPair.Select(x => x.ToString("F1", c)))}");
        if (r.PairLatencies is { } l)
            sb.AppendLine(c, $"each pair timed ({l.Samples} samples, ~{r.TimerOverheadNs:F0} ns timestamp overhead included): avg {l.AvgNs:F0} ns, p50 {l.P50Ns:F0} ns, p99 {l.P99Ns:F0} ns, max {l.MaxNs:F0} ns");
        if (r.FirstFailNs is { } f) sb.AppendLine(c, $"first failing allocation (median): {f:F0} ns");
        return sb.ToString();
    }
}
