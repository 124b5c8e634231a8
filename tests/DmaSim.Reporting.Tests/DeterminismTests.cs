using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;

namespace DmaSim.Reporting.Tests;

public class DeterminismTests
{
    private static IReadOnlyList<RunResult> RunSeed(string name) =>
        SuiteRunner.Run([.. ProfileCatalog.All.Select(p => (SeedSuite.All().Single(s => s.Name == name).Scenario, p))]);

    [Theory]
    [InlineData("smartarray-passthrough")]
    [InlineData("rmrr-leaves-si-domain")]
    [InlineData("mask40-on-44bit")]
    public void Two_runs_of_the_same_scenario_give_byte_identical_json_and_text(string name)
    {
        var a = RunSeed(name);
        var b = RunSeed(name);
        Assert.Equal(JsonReport.Write(a), JsonReport.Write(b));
        Assert.Equal(TextReport.Matrix(a), TextReport.Matrix(b));
        Assert.Equal(TextReport.Run(a[1], withLog: true), TextReport.Run(b[1], withLog: true));
    }

    [Fact]
    public void The_seed_changes_the_bytes_but_not_the_outcomes()
    {
        var s = SeedSuite.All().Single(x => x.Name == "smartarray-passthrough").Scenario;
        var other = s with { Seed = s.Seed + 1 };
        var r1 = ScenarioRunner.Run(s, ProfileCatalog.Linux2632Rc5);
        var r2 = ScenarioRunner.Run(other, ProfileCatalog.Linux2632Rc5);
        Assert.Equal(r1.Devices.Single().Outcome, r2.Devices.Single().Outcome);
        Assert.NotEqual(JsonReport.Write([r1]), JsonReport.Write([r2]));
    }

    [Fact]
    public void The_matrix_marks_held_and_broken_cells()
    {
        var runs = RunSeed("smartarray-passthrough");
        var held = TextReport.Matrix(runs);
        Assert.Contains("stall ✓", held, StringComparison.Ordinal);
        Assert.DoesNotContain("ok ✗", held, StringComparison.Ordinal);
        var broken = runs.Select((r, i) => i == 0 ? r with { Expectations = [new ExpectationResult("x", false, "y")] } : r).ToList();
        var text = TextReport.Matrix(broken);
        Assert.Contains("ok ✗", text, StringComparison.Ordinal);
        Assert.Contains("1 with a broken expectation", text, StringComparison.Ordinal);
    }
}
