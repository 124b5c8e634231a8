using System.CommandLine;
using System.Globalization;
using DmaSim.Core;

namespace DmaSim.Cli;

/// <summary>
/// The two limits on a whole invocation (docs/limits.md): wall-clock time (`--timeout`) and heap
/// (the runtime's GC heap hard limit; dmasim.runtimeconfig.json sets a default, DOTNET_GCHeapHardLimit
/// overrides it). Both end in exit 2 with a message, never a hang or a silent kill.
/// </summary>
internal static class RunLimits
{
    /// <summary>The longest --timeout accepted: a day.</summary>
    public const double MaxTimeoutSeconds = 86_400;

    private const string TimeoutName = "--timeout";

    /// <summary>
    /// A new --timeout option for each command tree: an option remembers every command it is added to, so
    /// one shared instance kept every tree of every in-process run alive (30 KB a call; the fuzz campaign's
    /// 60,000 command lines grew the live heap past 1 GiB).
    /// </summary>
    public static Option<double?> CreateTimeout()
    {
        var option = new Option<double?>(TimeoutName)
        {
            Description = "Stop with exit 2 if the command runs longer than this many seconds (default: no limit).",
            HelpName = "SECONDS",
            Recursive = true,
        };
        // Checked on the token itself: reading the typed value of a token that does not parse throws.
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            var text = r.Tokens[^1].Value;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || !double.IsFinite(s) || s <= 0 || s > MaxTimeoutSeconds)
                r.AddError($"--timeout: must be a number of seconds above 0 and at most {MaxTimeoutSeconds:0}, not '{text}'");
        });
        return option;
    }

    /// <summary>A timer that ends the process with exit 2 when --timeout passes; nothing without --timeout.</summary>
    public static IDisposable? StartWatchdog(ParseResult parse, TextWriter stderr)
    {
        if (parse.GetValue<double?>(TimeoutName) is not { } seconds) return null;
        return new Timer(_ =>
        {
            stderr.WriteLine($"dmasim: error: --timeout: still running after {seconds.ToString(CultureInfo.InvariantCulture)} s; stopped (docs/limits.md lists the limits that bound a run)");
            stderr.Flush();
            Console.Out.Flush();
            Environment.Exit(ExitCodes.BadInput);
        }, null, TimeSpan.FromSeconds(seconds), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The heap budget in force, worded for the out-of-memory message.</summary>
    public static string MemoryBudgetText()
    {
        var limit = (ulong)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return $"the heap budget is {Sizes.Format(limit)} ({limit.ToString(CultureInfo.InvariantCulture)} bytes; raise it with DOTNET_GCHeapHardLimit=<hex bytes>)";
    }
}
