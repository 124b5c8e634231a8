using DmaSim.Core;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// The per-device explanation (`Explain.For`) reads what the run tallied as its events happened (issue 14: a search of the
/// whole stream per device was quadratic on imported machines); what it says must not change with that.
/// </summary>
public class ExplainTests
{
    [Fact]
    public void The_seed_stall_is_explained_by_its_decision_its_coherent_allocation_and_the_finding_of_its_outcome()
    {
        var r = ScenarioRunner.Run(Seed, P("linux-2.6.32-rc5"));
        var texts = r.Explanations.Where(e => e.Device == "smartarray").Select(e => e.Text).ToList();
        Assert.Equal(Outcome.Stall, r.Devices[0].Outcome);
        Assert.Contains(texts, t => t.StartsWith("smartarray: ", StringComparison.Ordinal) && t.Contains(" because ", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.StartsWith("smartarray: dma_alloc_coherent through intel_dma_ops", StringComparison.Ordinal));
        // The finding quoted is the first one of the device with the device's (worst) outcome.
        var first = r.Findings.First(f => f.Device == "smartarray" && f.Outcome == Outcome.Stall);
        Assert.Equal("Outcome stall: " + first.Message, texts[^1]);
    }

    [Fact]
    public void An_ok_device_quotes_no_finding()
    {
        var r = ScenarioRunner.Run(Seed, P("linux-6.1"));
        Assert.Equal(Outcome.Ok, r.Devices[0].Outcome);
        Assert.DoesNotContain(r.Explanations, e => e.Text.StartsWith("Outcome ", StringComparison.Ordinal));
    }
}
