using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Scenarios.Sweep;
using DmaSim.Simulation.Sweep;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Sweep;

/// <summary>`dmasim bisect` on seed-suite scenarios, and what `--shrink` takes the seed down to.</summary>
public sealed class BisectAndShrinkTests
{
    private static string SeedPath(string name) => Path.Combine(SharedData.RepoRoot, "scenarios", "seed", name + ".yaml");

    private static BisectResult Bisect(string seed, string good, string bad) =>
        Bisector.Run(ScenarioLoader.Load(SeedPath(seed)), ProfileCatalog.Find(good)!, ProfileCatalog.Find(bad)!);

    [Fact]
    public void The_seed_between_dwmw2_and_rc5_is_the_coherent_allocation_rule()
    {
        var r = Bisect("smartarray-passthrough", "linux-2.6.32-rc5+dwmw2", "linux-2.6.32-rc5");
        Assert.Equal(("smartarray ok", "smartarray stall"), (r.GoodOutcomes, r.BadOutcomes));
        var c = Assert.Single(r.Culprits);
        Assert.Equal(nameof(KernelProfile.IdentityCoherentAlloc), c.Bad.Name);
        Assert.Equal(("GenericAllocCoherent", "ClearZoneFlags"), (c.Good.Value, c.Bad.Value));
        Assert.Contains("dma_generic_alloc_coherent", c.Good.Source, StringComparison.Ordinal);
        Assert.Contains("intel_alloc_coherent", c.Bad.Source, StringComparison.Ordinal);
    }

    /// <summary>
    /// Between 3.0 and 6.1 the bisect builds profiles with 3.0's boot (devices in si_domain) and 6.1's lack of a
    /// run-time identity check; a device left in si_domain must stay identity-mapped there, not be mapped from
    /// the si_domain's (absent) IOVA space (these seeds ended in exit 70 before).
    /// </summary>
    [Theory]
    [InlineData("hotplug-above-mask")]
    [InlineData("hotplug-software-identity")]
    [InlineData("rmrr-hw-passthrough")]
    [InlineData("rmrr-leaves-si-domain")]
    public void Bisecting_3_0_to_6_1_runs_every_mixed_profile(string seed)
    {
        var r = Bisect(seed, "linux-3.0", "linux-6.1");
        Assert.NotEmpty(r.Differing);
        Assert.All(r.Steps, s => Assert.False(string.IsNullOrEmpty(s.Outcomes)));
    }

    [Fact]
    public void Forcedac_between_3_0_and_2_6_33_is_the_coherent_iova_limit_not_the_identity_check()
    {
        var r = Bisect("coherent-iova-forcedac", "linux-3.0", "linux-2.6.33");
        Assert.Contains(nameof(KernelProfile.RuntimeIdentityCheck), r.Differing);
        Assert.Equal([nameof(KernelProfile.CoherentIovaLimit)], r.Culprits.Select(c => c.Bad.Name));
        Assert.Contains(r.Steps, s => s.Applied.SequenceEqual([nameof(KernelProfile.RuntimeIdentityCheck)]) && !s.LikeBad);
    }

    [Fact]
    public void Vtd_init_failure_between_2_6_33_and_2_6_32_is_the_fallback_rule()
    {
        var r = Bisect("vtd-init-failure", "linux-2.6.33", "linux-2.6.32");
        var c = Assert.Single(r.Culprits);
        Assert.Equal((nameof(KernelProfile.InitFailureFallback), "Swiotlb", "Nommu"), (c.Bad.Name, c.Good.Value, c.Bad.Value));
        Assert.Contains("75f1cdf1dda9", c.Good.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Profiles_that_agree_have_nothing_to_bisect()
    {
        var r = Bisect("smartarray-passthrough", "linux-2.6.32", "linux-2.6.33");
        Assert.True(r.Agree);
        Assert.Empty(r.Steps);
    }

    /// <summary>
    /// The seed under rc5 with 8 GiB shrinks to: one I/O instead of 64, 3 GiB below 4 GiB plus the 384 KiB
    /// above it where the coherent ring lands, and the 32-bit descriptor engine kept (33 bits reach it).
    /// </summary>
    [Fact]
    public void The_seed_shrinks_to_one_io_the_least_ram_above_4GiB_and_its_32_bit_ring()
    {
        var spec = SweepSpecLoader.Parse($"schema: dmasim-sweep/v1\nname: s\nbase: {SeedPath("smartarray-passthrough")}\naxes:\n  profile: [linux-2.6.32-rc5]\n  ram: [8GiB]\n", "s.yaml");
        var r = Shrinker.Shrink(SweepPlan.Create(spec), 0)!;
        Assert.Equal(("smartarray", "stall"), (r.Device, r.Outcome));
        Assert.Equal(["workload.smartarray.count 64 → 1", "usable RAM 8GiB → 3GiB",
            "platform.devices.smartarray.descriptor-address-bits stays 32: any wider and it no longer fails"], r.Changes);
        var shrunk = ScenarioLoader.Parse(r.Yaml, "shrunk.yaml");
        Assert.Equal(("linux-2.6.32-rc5", "intel_iommu=on iommu=pt"), (shrunk.Kernel.Profile, shrunk.Kernel.Cmdline));
        Assert.Equal(0x100000000UL + 0x60000 - 1, shrunk.Platform.Memory.Max(m => m.Range.End.Value));
        Assert.True(ScenarioRunner.Run(shrunk, ProfileCatalog.Find("linux-2.6.32-rc5")!).AllExpectationsHeld);
    }

    [Fact]
    public void A_cell_where_every_device_is_ok_has_nothing_to_shrink()
    {
        var spec = SweepSpecLoader.Parse($"schema: dmasim-sweep/v1\nname: s\nbase: {SeedPath("smartarray-passthrough")}\naxes:\n  profile: [linux-2.6.32]\n", "s.yaml");
        Assert.Null(Shrinker.Shrink(SweepPlan.Create(spec), 0));
    }
}
