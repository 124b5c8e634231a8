using DmaSim.Core;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using DmaSim.Testing;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>Scenarios that differ from the seed only in numbers; each asserts what the rules imply.</summary>
public class SeedVariantTests
{
    private static Dictionary<string, RunResult> RunAll(ScenarioBuilder scenario)
    {
        var s = Parse(scenario);
        return ProfileCatalog.All.ToDictionary(p => p.Name, p => ScenarioRunner.Run(s, p));
    }

    private static string OutcomeOf(RunResult r) => ContractWords.Outcomes.NameOf(r.Devices.Single(d => d.Name == "smartarray").Outcome);

    /// <summary>With RAM above 4 GiB, a 32-bit-descriptor controller with a 64-bit streaming mask stalls under rc5 only.</summary>
    private static void AssertSeedShape(Dictionary<string, RunResult> runs, string bdf = "03:00.0")
    {
        foreach (var (profile, r) in runs)
        {
            Assert.Equal(profile == "linux-2.6.32-rc5" ? "stall" : "ok", OutcomeOf(r));
            // The eras with the runtime identity re-check (3.0 – 5.6) move the 32-bit device out of si_domain.
            Assert.Equal(profile is "linux-3.0" or "linux-4.19" or "linux-5.4" ? "translated" : "passthrough", r.Devices[0].DomainName);
        }
        Assert.Contains(runs["linux-3.0"].Log, l => l.EndsWith($"32bit 0000:{bdf} uses non-identity mapping", StringComparison.Ordinal));
        Assert.Contains(runs["linux-4.19"].Log, l => l.EndsWith($"DMAR: 32bit 0000:{bdf} uses non-identity mapping", StringComparison.Ordinal));
        Assert.Contains(runs["linux-5.4"].Log, l => l.EndsWith($"0000:{bdf}: DMAR: 32bit DMA uses non-identity mapping", StringComparison.Ordinal));
    }

    [Fact]
    public void Ram_ending_exactly_at_4G_is_ok_everywhere_and_stays_identity_in_3_0()
    {
        var runs = RunAll(Storage(highEnd: null, lowEnd: 0xffffffff));
        foreach (var (profile, r) in runs)
        {
            Assert.True(OutcomeOf(r) == "ok", $"{profile}: {OutcomeOf(r)} {string.Join(" | ", r.Findings.Select(f => f.Message))}");
            // required mask is 0xffffffff: 3.0's min(64, 32) covers it, so the device keeps pass-through.
            Assert.Equal("passthrough", r.Devices[0].DomainName);
        }
        Assert.DoesNotContain(runs["linux-3.0"].Log, l => l.Contains("uses non-identity mapping", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0x3ffffffffUL)]   // RAM to 16 GiB
    [InlineData(0xfffffffffUL)]   // RAM to 64 GiB
    [InlineData(0x43fffffffUL)]   // 17 GiB
    public void Larger_machines_behave_like_the_seed(ulong highEnd) => AssertSeedShape(RunAll(Storage(highEnd: highEnd)));

    [Theory]
    [InlineData("0a:00.0")]
    [InlineData("00:02.0")]
    [InlineData("81:00.1")]
    public void Other_bus_numbers_behave_like_the_seed(string bdf)
    {
        var runs = RunAll(Storage(bdf: bdf));
        AssertSeedShape(runs, bdf);
        Assert.All(runs.Values, r => Assert.Equal(bdf, r.Devices[0].Bdf));
    }

    [Theory]
    [InlineData(1, "4KiB")]
    [InlineData(8, "256KiB")]
    [InlineData(200, "16KiB")]
    public void Other_io_sizes_and_counts_behave_like_the_seed(int count, string size) =>
        AssertSeedShape(RunAll(Storage(workload: $"{{ device: smartarray, run: io, count: {count}, size: {size} }}")));

    [Fact]
    public void A_31_bit_coherent_mask_set_by_the_driver()
    {
        var s = Parse(Storage(driver: "{ device: smartarray, dma-mask-bits: 64, coherent-dma-mask-bits: 31 }"));
        foreach (var p in ProfileCatalog.All)
        {
            var m = RunKeeping(s, p);
            var ring = FirstCoherent(m);
            var outcome = m.Checker.Worst.GetValueOrDefault("smartarray", Outcome.Ok);
            if (p == ProfileCatalog.Linux2632Rc5)
            {
                // Flags cleared: the ring lands in ZONE_NORMAL, above 4 GiB, and the 32 descriptor lines truncate it.
                Assert.Equal(ZoneType.Normal, ZoneOf(m, ring));
                Assert.Equal(Outcome.Stall, outcome);
                continue;
            }
            Assert.True(Outcome.Ok == outcome, $"{p.Name}: {outcome}");
            Assert.True(ring.Dma!.Value.Value + ring.Size - 1 <= 0x7FFFFFFF, $"{p.Name}: ring at {ring.Dma}");
        }
        // What shipped: coherent mask below 32 bits (and below the required mask) → GFP_DMA.
        var shipped = RunKeeping(s, ProfileCatalog.Linux2632);
        Assert.Equal(ZoneType.Dma, ZoneOf(shipped, FirstCoherent(shipped)));
    }

    [Fact]
    public void A_36_bit_descriptor_controller_on_ram_below_2_pow_36_is_ok_everywhere()
    {
        foreach (var highEnd in new[] { 0x23fffffffUL, 0xfffffffffUL })
        {
            var runs = RunAll(Storage(highEnd: highEnd, descriptorBits: 36));
            foreach (var (profile, r) in runs)
                Assert.True(OutcomeOf(r) == "ok", $"{profile} RAM to 0x{highEnd:x}: {OutcomeOf(r)}");
        }
    }
}
