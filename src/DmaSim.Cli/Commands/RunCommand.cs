using System.CommandLine;
using DmaSim.Reporting;
using DmaSim.Scenarios;
using DmaSim.Simulation;

namespace DmaSim.Cli.Commands;

/// <summary>`dmasim run [SCENARIO...]`: run scenarios (the embedded seed suite when none is named).</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("scenario") { Arity = ArgumentArity.ZeroOrMore, Description = "Scenario files (dmasim/v1 YAML); none = the built-in seed suite." };
        var profile = new Option<string?>("--profile") { Description = "Kernel profile to run instead of the scenario's, or 'all' for one run per profile." };
        var cmdline = new Option<string[]>("--cmdline") { Description = "Kernel command line instead of the scenario's; repeat it for one run per (profile, command line).", Arity = ArgumentArity.ZeroOrMore };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var html = new Option<string?>("--html") { Description = "Also write an HTML report to this file." };
        var log = new Option<bool>("--log") { Description = "Include the kernel log in text output." };
        var command = new Command("run", "Run scenarios and check their expectations.") { files, profile, cmdline, format, html, log };
        command.SetAction(parse =>
        {
            var options = new RunOptions(parse.GetValue(files) ?? [], parse.GetValue(profile), parse.GetValue(cmdline) ?? [],
                parse.GetValue(format) ?? "text", parse.GetValue(html), parse.GetValue(log));
            return Execute(options);
        });
        return command;
    }

    /// <summary>The terminal's width (COLUMNS first, as shells export it), or unlimited when stdout is a pipe or a file.</summary>
    private static int TerminalWidth()
    {
        if (Console.IsOutputRedirected) return TextReport.UnlimitedWidth;
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), System.Globalization.CultureInfo.InvariantCulture, out var columns) && columns > 0) return columns;
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    private sealed record RunOptions(string[] Files, string? Profile, string[] Cmdlines, string Format, string? Html, bool Log);

    private static int Execute(RunOptions o)
    {
        var seedSuite = o.Files.Length == 0;
        var scenarios = seedSuite
            ? SeedSuite.All().Select(s => s.Scenario).ToList()
            : o.Files.Select(ScenarioLoader.Load).ToList();
        // The seed suite is shown across every profile unless one is named.
        var profile = o.Profile ?? (seedSuite ? "all" : null);
        var cmdlines = o.Cmdlines.Length == 0 ? [null] : o.Cmdlines.Select(c => (string?)c).ToArray();
        var cells = scenarios.SelectMany(s => ScenarioRunner.ProfilesFor(s, profile).SelectMany(p => cmdlines.Select(c => (s, p, c)))).ToList();
        var runs = SuiteRunner.Run(cells);
        if (o.Format == "json") Console.Write(JsonReport.Write(runs));
        else
        {
            var width = TerminalWidth();
            // One machine under several kernels or command lines: a device × (profile, command line) verdict table.
            if (scenarios.Count == 1 && runs.Count > 1 && !seedSuite) Console.Write(TextReport.DeviceMatrix(runs, width));
            else if (runs.Count > 1 || seedSuite) Console.Write(TextReport.Matrix(runs, width));
            if (!seedSuite || o.Log)
                foreach (var r in runs) Console.Write(TextReport.Run(r, o.Log, width));
        }
        if (o.Html is { } path) OutputFile.Write(path, HtmlReport.Write(runs), "--html");
        return runs.All(r => r.AllExpectationsHeld) ? ExitCodes.Ok : ExitCodes.ExpectationFailed;
    }
}
