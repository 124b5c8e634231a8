using DmaSim.Core;

namespace DmaSim.Scenarios.Tests;

/// <summary>
/// The seed suite reads "seed/*.yaml" resources. This assembly embeds its own two (TestSeeds/), so the
/// mechanism is tested before the integrator writes scenarios/seed/.
/// </summary>
public sealed class SeedSuiteTests
{
    [Fact]
    public void Injected_seeds_are_found_in_name_order_with_their_text()
    {
        var seeds = SeedSuite.From(typeof(SeedSuiteTests).Assembly);
        Assert.Equal(["alpha", "broken"], seeds.Select(s => s.Name));
        Assert.Equal("seed/alpha.yaml", seeds[0].ResourceName);
        Assert.StartsWith("schema: dmasim/v1\nname: alpha\n", seeds[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seed_parses_on_first_use_and_reports_errors_under_its_resource_name()
    {
        var seeds = SeedSuite.From(typeof(SeedSuiteTests).Assembly);
        var alpha = seeds[0].Scenario;
        Assert.Equal(("alpha", "seed/alpha.yaml", "linux-6.1"), (alpha.Name, alpha.SourceFile, alpha.Kernel.Profile));
        Assert.Same(alpha, seeds[0].Scenario);

        var e = Assert.Throws<InputException>(() => seeds[1].Scenario);
        Assert.StartsWith("seed/broken.yaml:8:12: error: unknown profile 'linux-9.9'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shipped_seeds_all_load()
    {
        // Empty until scenarios/seed/ exists; from then on every shipped seed must parse.
        var seeds = SeedSuite.All();
        Assert.Equal(seeds.Select(s => s.Name).Order(StringComparer.Ordinal), seeds.Select(s => s.Name));
        foreach (var seed in seeds) Assert.Equal(seed.ResourceName, seed.Scenario.SourceFile);
    }
}
