using DmaSim.Core;
using DmaSim.Simulation;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DmaSim.Reporting;

/// <summary>Human-readable reports: one run in detail, or a scenario × profile matrix of outcomes.</summary>
public static class TextReport
{
    /// <summary>What the text and HTML reports say when the scenario had no `workload:` (JSON `workload: default`).</summary>
    public const string DefaultWorkloadLine = "default (the scenario has no workload: each device's driver pattern ran — coherent rings, streaming maps of buffers spread over all RAM from its top, syncs, data and completion DMA)";

    /// <summary>Width when the output is not a terminal: wide enough that no line is hard-wrapped (a pipe or file reader wraps).</summary>
    public const int UnlimitedWidth = 4096;

    /// <summary>One run: devices, why, findings, expectations.</summary>
    /// <param name="r">The run.</param>
    /// <param name="withLog">Also print the kernel log.</param>
    /// <param name="width">Terminal width: tables fit it, wrapping inside cells; <see cref="UnlimitedWidth"/> when piped.</param>
    public static string Run(RunResult r, bool withLog = false, int width = UnlimitedWidth)
    {
        ArgumentNullException.ThrowIfNull(r);
        var (console, writer) = Console(width);
        console.WriteLine($"== {r.Scenario} under {r.Profile}");
        console.WriteLine($"   {r.ProfileSummary}");
        console.WriteLine($"   cmdline: {r.Cmdline}");
        if (r.DefaultWorkload) console.WriteLine($"   workload: {DefaultWorkloadLine}");
        var t = new Table().Border(TableBorder.Simple);
        foreach (var h in new[] { "device", "bdf", "model", "driver", "dma_mask", "coherent", "domain", "group", "flush", "dma ops", "outcome" }) t.AddColumn(h);
        foreach (var d in r.Devices)
        {
            t.AddRow(Cell(d.Name), Cell(d.Bdf), Cell(d.ModelName), Cell(d.Driver ?? "-"), Cell($"{d.DmaMaskBits}-bit"), Cell($"{d.CoherentDmaMaskBits}-bit"), Cell(d.DomainName),
                Cell(d.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"), Cell(d.Flush ?? "-"), Cell(d.DmaOpsName), Cell(d.OutcomeName));
        }
        console.Write(t);
        if (r.Explanations.Count > 0)
        {
            console.WriteLine("Why:");
            foreach (var e in r.Explanations) console.WriteLine($"  - {e.Text} [{e.Source}]");
        }
        if (r.Findings.Count > 0)
        {
            console.WriteLine("Findings:");
            foreach (var f in r.Findings) console.WriteLine($"  - [{ContractWords.Outcomes.NameOf(f.Outcome)}] {f.KindName}: {f.Message}");
        }
        if (r.Expectations.Count > 0)
        {
            console.WriteLine("Expectations:");
            foreach (var e in r.Expectations) console.WriteLine($"  {(e.Held ? "held  " : "FAILED")} {e.Text}{(e.Held || e.Actual is null ? "" : $" (got {e.Actual})")}");
        }
        if (withLog)
        {
            console.WriteLine("Kernel log:");
            foreach (var l in r.Log) console.WriteLine("  " + l);
        }
        console.WriteLine("");
        return writer.ToString();
    }

    /// <summary>
    /// The seed-suite matrix: a row per scenario, a column per profile; each cell the outcome of the
    /// scenario's main device (worst over devices), marked ✓ when every expectation of that run held
    /// and ✗ when one broke.
    /// </summary>
    public static string Matrix(IReadOnlyList<RunResult> runs, int width = UnlimitedWidth)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var (console, writer) = Console(width);
        var profiles = runs.Select(r => r.Profile).Distinct().ToList();
        var t = new Table().Border(TableBorder.Simple).Title("scenario × kernel profile (worst device outcome; ✓ expectations held, ✗ broken)");
        t.AddColumn(new TableColumn("scenario").NoWrap());
        foreach (var p in profiles) t.AddColumn(new TableColumn(p.Replace("linux-", "", StringComparison.Ordinal)).Centered());
        foreach (var scenario in runs.Select(r => r.Scenario).Distinct())
        {
            var cells = new List<IRenderable> { Cell(scenario) };
            foreach (var p in profiles)
            {
                var r = runs.FirstOrDefault(x => x.Scenario == scenario && x.Profile == p);
                if (r is null) { cells.Add(Cell("")); continue; }
                var worst = r.Devices.Select(d => d.Outcome).DefaultIfEmpty(Outcome.Ok).Max();
                cells.Add(Cell($"{ContractWords.Outcomes.NameOf(worst)} {(r.Expectations.Count == 0 ? "·" : r.AllExpectationsHeld ? "✓" : "✗")}"));
            }
            t.AddRow(cells);
        }
        console.Write(t);
        var broken = runs.Where(r => !r.AllExpectationsHeld).ToList();
        var expectations = runs.Sum(r => r.Expectations.Count);
        var silent = runs.Count(r => r.Expectations.Count == 0);
        // Never "every expectation held" over runs that checked nothing: say what was not checked against a claim.
        var none = silent == 0 ? "" : $" ({silent} of them state no expectation: their cells, marked ·, were not checked against a claim)";
        console.WriteLine(broken.Count == 0
            ? expectations == 0 ? $"{runs.Count} runs; no scenario states an expectation for them, so nothing above was checked against a claim." : $"{runs.Count} runs, every one of {expectations} expectations held{none}."
            : $"{runs.Count} runs, {broken.Count} with a broken expectation: " + string.Join("; ", broken.Select(b => $"{b.Scenario}/{b.Profile}: {string.Join(", ", b.Expectations.Where(e => !e.Held).Select(e => e.Text + " (got " + e.Actual + ")"))}")));
        var defaults = runs.Where(r => r.DefaultWorkload).Select(r => r.Scenario).Distinct().ToList();
        if (defaults.Count > 0) console.WriteLine($"workload: default for {string.Join(", ", defaults)} (no workload in the scenario: each device's driver pattern ran).");
        return writer.ToString();
    }

    /// <summary>
    /// One machine across kernels and command lines: a row per device, a column per (profile, command line),
    /// each cell the domain and outcome; then a one-line reason for every cell that is not ok.
    /// </summary>
    public static string DeviceMatrix(IReadOnlyList<RunResult> runs, int width = UnlimitedWidth)
    {
        var (console, writer) = Console(width);
        var cmdlines = runs.Select(r => r.Cmdline).Distinct().ToList();
        string Column(RunResult r) => r.Profile.Replace("linux-", "", StringComparison.Ordinal) + (cmdlines.Count > 1 ? $" [{cmdlines.IndexOf(r.Cmdline) + 1}]" : "");
        var t = new Table().Border(TableBorder.Simple).Title($"{runs[0].Scenario}: device × kernel (domain/outcome)");
        t.AddColumn(new TableColumn("device").NoWrap());
        foreach (var r in runs) t.AddColumn(new TableColumn(Cell(Column(r))).Centered());
        var devices = runs[0].Devices.Where(d => !ContractWords.IsBridge(d.Model)).Select(d => d.Name).ToList();
        foreach (var name in devices)
        {
            var cells = new List<IRenderable> { Cell(name) };
            foreach (var r in runs)
            {
                var d = r.Devices.First(x => x.Name == name);
                cells.Add(Cell($"{d.DomainName}/{d.OutcomeName}"));
            }
            t.AddRow(cells);
        }
        console.Write(t);
        if (runs[0].DefaultWorkload) console.WriteLine($"workload: {DefaultWorkloadLine}");
        if (cmdlines.Count > 1)
            for (var i = 0; i < cmdlines.Count; i++) console.WriteLine($"[{i + 1}] {cmdlines[i]}");
        foreach (var r in runs)
        {
            foreach (var d in r.Devices.Where(d => d.Outcome != Outcome.Ok))
            {
                var why = r.Findings.FirstOrDefault(f => f.Device == d.Name && f.Outcome == d.Outcome)?.Message ?? "worst outcome of the run";
                console.WriteLine($"  {d.Name} @ {Column(r)}: {d.OutcomeName} — {why}");
            }
        }
        var expectations = runs.Sum(r => r.Expectations.Count);
        var broken = runs.Count(r => !r.AllExpectationsHeld);
        console.WriteLine(expectations == 0
            ? $"{runs.Count} runs; the scenario states no expectations, so nothing above was checked against a claim."
            : broken == 0 ? $"{runs.Count} runs, every one of {expectations} expectations held." : $"{runs.Count} runs, {broken} with a broken expectation.");
        return writer.ToString();
    }

    private static Markup Cell(string s) => new(Markup.Escape(s));

    private static (IAnsiConsole Console, StringWriter Writer) Console(int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = Math.Clamp(width, 40, UnlimitedWidth);
        console.Profile.Capabilities.Unicode = true;
        return (console, writer);
    }
}
