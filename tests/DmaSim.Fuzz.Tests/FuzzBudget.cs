using System.Collections.Concurrent;
using System.Diagnostics;
using DmaSim.Core;

namespace DmaSim.Fuzz.Tests;

/// <summary>
/// How many cases each target runs and what the run saw. CI runs the bounded default; a long campaign
/// sets DMASIM_FUZZ_SCALE (a multiplier) and reads the summary line each target prints (docs/fuzzing.md).
/// </summary>
internal static class FuzzBudget
{
    /// <summary>DMASIM_FUZZ_SCALE, 1 when unset.</summary>
    public static int Scale { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("DMASIM_FUZZ_SCALE"), out var s) && s > 0 ? s : 1;

    /// <summary>DMASIM_FUZZ_SEED replays a campaign; unset, CsCheck picks seeds (and prints one on failure).</summary>
    public static string? Seed { get; } = Environment.GetEnvironmentVariable("DMASIM_FUZZ_SEED");

    public static long Cases(int ciCount) => (long)ciCount * Scale;

    private static readonly ConcurrentDictionary<string, Stats> _stats = new();

    /// <summary>
    /// Runs one case: an <see cref="InputException"/> is the accepted way to refuse input; any other
    /// exception is what the CLI would turn into exit 70, so it fails the test with the input shown.
    /// </summary>
    public static void Case(string target, string input, Action run)
    {
        var stats = _stats.GetOrAdd(target, _ => new Stats());
        var watch = Stopwatch.StartNew();
        // A case still running after the campaign's 10 s bound is reported while it runs, with its input.
        using var slow = new Timer(_ => ReportSlow(target, input), null, SlowCase, Timeout.InfiniteTimeSpan);
        var refused = false;
        try
        {
            run();
        }
        catch (InputException e)
        {
            refused = true;
            stats.Refusal(e.Problem);
            Assert.False(string.IsNullOrWhiteSpace(e.Message), "an input error without a message");
            Assert.Contains("error:", e.Message, StringComparison.Ordinal);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{target}: exit 70 on this input:\n{Shorten(input)}\n{e}");
        }
        finally
        {
            stats.Record(watch.Elapsed, refused);
            // The campaign's other bound: each time the process grows past a new 256 MiB mark above 1 GiB,
            // the case that took it there is named (the heap rarely shrinks, so only growth says which).
            var ws = Environment.WorkingSet;
            if (ws > Interlocked.Read(ref _reportedWorkingSet) + (256L << 20) && ws > 1L << 30)
            {
                Interlocked.Exchange(ref _reportedWorkingSet, ws);
                ReportBig(target, input);
            }
        }
    }

    private static long _reportedWorkingSet;

    private static void ReportBig(string target, string input)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dmasim-fuzz-big-{target}-{Environment.ProcessId}-{Environment.WorkingSet >> 20}MiB.txt");
        File.WriteAllText(path, input);
        // The working set counts garbage the GC has not returned yet; the live heap says what the case keeps.
        Console.Error.WriteLine($"{target}: working set {Environment.WorkingSet >> 20} MiB, live heap {GC.GetTotalMemory(forceFullCollection: true) >> 20} MiB after a case; its input is in {path}");
    }

    /// <summary>"target: N cases, R refused as bad input, slowest X ms, peak working set Y MiB".</summary>
    public static string Summary(string target)
    {
        var s = _stats.GetValueOrDefault(target) ?? new Stats();
        using var p = Process.GetCurrentProcess();
        return $"{target}: {s.Count} cases, {s.Refused} refused as bad input, slowest {s.MaxMs} ms, peak working set {p.PeakWorkingSet64 >> 20} MiB; most refused: {s.TopRefusals()}";
    }

    /// <summary>The longest a case may take (docs/fuzzing.md).</summary>
    public static readonly TimeSpan SlowCase = TimeSpan.FromSeconds(10);

    private static void ReportSlow(string target, string input)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dmasim-fuzz-slow-{target}-{Environment.ProcessId}.txt");
        File.WriteAllText(path, input);
        Console.Error.WriteLine($"{target}: a case has run for {SlowCase.TotalSeconds} s; its input is in {path}");
    }

    private static string Shorten(string input) => input.Length <= 4000 ? input : input[..4000] + $"… ({input.Length} chars)";

    private sealed class Stats
    {
        private long _count, _refused, _maxTicks;
        private readonly ConcurrentDictionary<string, int> _reasons = new();

        /// <summary>Counts refusals by the first words of their message, to see what a generator mostly hits.</summary>
        public void Refusal(string problem) =>
            _reasons.AddOrUpdate(string.Join(' ', problem.Split(' ').Take(4)), 1, (_, n) => n + 1);

        public string TopRefusals() =>
            string.Join("; ", _reasons.OrderByDescending(r => r.Value).Take(6).Select(r => $"{r.Value}× {r.Key}"));
        public long Count => Interlocked.Read(ref _count);
        public long Refused => Interlocked.Read(ref _refused);
        public long MaxMs => (long)TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks)).TotalMilliseconds;

        public void Record(TimeSpan elapsed, bool refused)
        {
            Interlocked.Increment(ref _count);
            if (refused) Interlocked.Increment(ref _refused);
            long seen;
            while (elapsed.Ticks > (seen = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, elapsed.Ticks, seen) != seen) { }
        }
    }
}
