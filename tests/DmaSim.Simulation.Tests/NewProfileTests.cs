using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// A profile is data: a predecessor `with` the decisions that changed. The same record a profile file under
/// src/DmaSim.Kernel/Profiles holds runs end to end with no other change (docs/architecture.md, "Adding an era").
/// </summary>
public class NewProfileTests
{
    /// <summary>A 2.6.32 stable kernel with the 2011 identity fix backported — what a new profile file would hold.</summary>
    private static readonly KernelProfile _backport = ProfileCatalog.Linux2632 with
    {
        Name = "linux-2.6.32-backport",
        Summary = "2.6.32 plus \"intel-iommu: Check for identity mapping candidate using system dma mask\" and \"Use coherent DMA mask when requested\"",
        RuntimeIdentityCheck = ProfileCatalog.Linux30.RuntimeIdentityCheck,
        CoherentIovaLimit = ProfileCatalog.Linux30.CoherentIovaLimit,
    };

    private static Scenario SeedNamed(string name) => SeedSuite.All().Single(s => s.Name == name).Scenario;

    [Fact]
    public void A_profile_defined_as_a_diff_runs_and_its_changed_rules_decide()
    {
        var seed = SeedNamed("mask40-on-44bit");
        var shipped = ScenarioRunner.Run(seed, ProfileCatalog.Linux2632);
        var fixedIn30 = ScenarioRunner.Run(seed, ProfileCatalog.Linux30);
        var backport = ScenarioRunner.Run(seed, _backport);
        Assert.Equal("linux-2.6.32-backport", backport.Profile);
        Assert.NotEqual(shipped.Devices.Select(d => (d.Name, d.Domain, d.Outcome)), fixedIn30.Devices.Select(d => (d.Name, d.Domain, d.Outcome)));
        // The two rules that 3.0 changed are the ones the backport took, so it decides as 3.0 does.
        Assert.Equal(fixedIn30.Devices.Select(d => (d.Name, d.Domain, d.Outcome)), backport.Devices.Select(d => (d.Name, d.Domain, d.Outcome)));
    }
}
