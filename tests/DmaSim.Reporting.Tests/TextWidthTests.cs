using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;

namespace DmaSim.Reporting.Tests;

/// <summary>Text tables fit the terminal they are printed on (wrapping inside cells) and are never hard-wrapped when piped.</summary>
public sealed class TextWidthTests
{
    private static IReadOnlyList<RunResult> AllProfiles()
    {
        var s = SeedSuite.All().Single(x => x.Name == "smartarray-passthrough").Scenario;
        return SuiteRunner.Run([.. ProfileCatalog.All.Select(p => (s, p))]);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(80)]
    public void Every_line_fits_a_narrow_terminal(int width)
    {
        var runs = AllProfiles();
        var text = TextReport.Matrix(runs, width) + TextReport.Run(runs[1], withLog: true, width);
        var longest = text.Split('\n').Max(l => l.Length);
        Assert.True(longest <= width, $"a line of {longest} columns on a {width}-column terminal");
        Assert.Contains("stall", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Piped_output_keeps_each_sentence_on_one_line()
    {
        var runs = AllProfiles();
        var text = TextReport.Run(runs[1]);
        // The rc5 finding is one long sentence: piped, it stays one line (a reader's tool wraps, not us).
        var finding = Assert.Single(text.Split('\n'), l => l.Contains("[stall] stray-control-read", StringComparison.Ordinal));
        Assert.EndsWith("the driver's command ring slot 1 is at 0x23fc04040", finding.TrimEnd(), StringComparison.Ordinal);
        Assert.True(finding.Length > 200);
    }
}
