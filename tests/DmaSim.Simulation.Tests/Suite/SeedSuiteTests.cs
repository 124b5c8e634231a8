using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Tests.Suite;

/// <summary>Every embedded seed scenario, under every profile: each of its expectations holds.</summary>
public class SeedSuiteTests
{
    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var s in SeedSuite.All())
            foreach (var p in ProfileCatalog.All) data.Add(s.Name, p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Expectations_hold(string scenario, string profile)
    {
        var s = SeedSuite.All().Single(x => x.Name == scenario).Scenario;
        var r = ScenarioRunner.Run(s, ProfileCatalog.Find(profile)!);
        var broken = r.Expectations.Where(e => !e.Held).Select(e => $"{e.Text} (got {e.Actual})").ToList();
        Assert.True(broken.Count == 0, string.Join("; ", broken));
    }

    [Fact]
    public void The_suite_covers_every_point_of_the_thread()
    {
        var names = SeedSuite.All().Select(s => s.Name).ToHashSet();
        foreach (var n in new[] { "smartarray-passthrough", "smartarray-4gib", "rmrr-leaves-si-domain", "rmrr-hw-passthrough", "vtd-init-failure",
                     "bridge-alias", "mask40-on-44bit", "hotplug-above-mask", "swiotlb-exhaustion", "coherent-iova-forcedac" })
            Assert.Contains(n, names);
        // Every scenario says something about more than one profile, and at least one cell breaks somewhere.
        foreach (var s in SeedSuite.All().Select(x => x.Scenario))
            Assert.NotEmpty(s.Expect);
    }

    [Fact]
    public void The_seed_bug_is_a_stall_only_before_the_fix()
    {
        var s = SeedSuite.All().Single(x => x.Name == "smartarray-passthrough").Scenario;
        var outcomes = ProfileCatalog.All.ToDictionary(p => p.Name, p => ScenarioRunner.Run(s, p).Devices.Single().Outcome);
        Assert.Equal(Outcome.Stall, outcomes["linux-2.6.32-rc5"]);
        Assert.All(outcomes.Where(kv => kv.Key != "linux-2.6.32-rc5"), kv => Assert.Equal(Outcome.Ok, kv.Value));
    }
}
