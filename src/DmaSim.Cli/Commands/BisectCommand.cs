using System.CommandLine;
using System.Text;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Cli.Commands;

/// <summary>`dmasim bisect SCENARIO --good PROFILE --bad PROFILE [--cmdline ...]`: wiring; the walk is DmaSim.Simulation.Sweep.Bisector.</summary>
internal static class BisectCommand
{
    public static Command Create()
    {
        var scenario = new Argument<string>("scenario") { Description = "Scenario file, or the name of a built-in seed scenario." };
        var good = new Option<string>("--good") { Description = "Profile whose outcome is the good one.", Required = true };
        var bad = new Option<string>("--bad") { Description = "Profile whose outcome is the bad one.", Required = true };
        var cmdline = new Option<string?>("--cmdline") { Description = "Kernel command line instead of the scenario's." };
        var command = new Command("bisect", "Name the profile rule(s) whose change flips the outcome between two profiles.") { scenario, good, bad, cmdline };
        command.SetAction(parse =>
        {
            var s = Load(parse.GetValue(scenario)!);
            var result = Bisector.Run(s, Profile("--good", parse.GetValue(good)!), Profile("--bad", parse.GetValue(bad)!), parse.GetValue(cmdline));
            Console.Out.Write(Text(result));
            return result.Culprits.Count > 0 || result.Agree ? ExitCodes.Ok : ExitCodes.ExpectationFailed;
        });
        return command;
    }

    private static Scenario Load(string nameOrPath) =>
        !File.Exists(nameOrPath) && SeedSuite.All().FirstOrDefault(x => x.Name == nameOrPath) is { } seed ? seed.Scenario : ScenarioLoader.Load(nameOrPath);

    private static KernelProfile Profile(string option, string name) =>
        ProfileCatalog.Find(name) ?? throw SweepCommand.Usage(option, $"unknown profile '{name}' (known: {string.Join(", ", ProfileCatalog.All.Select(p => p.Name))})");

    private static string Text(BisectResult r)
    {
        var sb = new StringBuilder();
        sb.Append($"bisect {r.Scenario}\n  good {r.Good}: {r.GoodOutcomes}\n  bad  {r.Bad}: {r.BadOutcomes}\n");
        if (r.Agree) return sb.Append("the two profiles give the same outcomes: nothing to bisect\n").ToString();
        sb.Append($"{r.Differing.Count} rule(s) differ: {string.Join(", ", r.Differing)}\n");
        for (var i = 0; i < r.Steps.Count; i++)
        {
            var s = r.Steps[i];
            sb.Append($"step {i + 1}: good + [{string.Join(", ", s.Applied)}] → {s.Outcomes} ({(s.LikeBad ? "bad" : "good")})\n");
        }
        if (r.Culprits.Count == 0)
            return sb.Append("no set of these rules turns the good outcome into the bad one: the difference lies outside the named rules\n").ToString();
        sb.Append(r.Culprits.Count == 1 ? "the outcome flips with one rule:\n" : $"the outcome flips only with these {r.Culprits.Count} rules together:\n");
        foreach (var c in r.Culprits)
        {
            sb.Append($"  {c.Bad.Name}: {c.Good.Value} → {c.Bad.Value}\n");
            sb.Append($"    good ({r.Good}): {c.Good.Source}\n");
            sb.Append($"    bad  ({r.Bad}): {c.Bad.Source}\n");
        }
        return sb.ToString();
    }
}
