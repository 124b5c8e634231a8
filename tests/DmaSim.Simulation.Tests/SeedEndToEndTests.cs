using System.Globalization;
using System.Text.RegularExpressions;
using DmaSim.Core;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>The issue "The seed regression, end to end": the seed scenario under every profile.</summary>
public partial class SeedEndToEndTests
{
    public static TheoryData<string, string, string, string> SeedTable() => new()
    {
        // profile, outcome, domain, dma ops
        { "linux-2.6.31", "ok", "passthrough", "swiotlb" },
        { "linux-2.6.32-rc5", "stall", "passthrough", "intel-iommu" },
        { "linux-2.6.32-rc5+alex", "ok", "passthrough", "intel-iommu" },
        { "linux-2.6.32-rc5+dwmw2", "ok", "passthrough", "intel-iommu" },
        { "linux-2.6.32", "ok", "passthrough", "intel-iommu" },
        { "linux-2.6.33", "ok", "passthrough", "intel-iommu" },
        { "linux-3.0", "ok", "translated", "intel-iommu" },
        { "linux-6.1", "ok", "passthrough", "direct" },
    };

    [Theory]
    [MemberData(nameof(SeedTable))]
    public void Seed_outcome_domain_and_ops_per_profile(string profile, string outcome, string domain, string ops)
    {
        var r = ScenarioRunner.Run(Seed, P(profile));
        var d = Assert.Single(r.Devices);
        Assert.Equal("smartarray", d.Name);
        Assert.Equal("03:00.0", d.Bdf);
        Assert.Equal(64, d.DmaMaskBits);
        Assert.Equal(32, d.CoherentDmaMaskBits);
        Assert.Equal(outcome, ContractWords.Outcomes.NameOf(d.Outcome));
        Assert.Equal(domain, d.DomainName);
        Assert.Equal(ops, d.DmaOpsName);
        Assert.All(r.Expectations, e => Assert.True(e.Held, $"{profile}: {e.Text} (got {e.Actual})"));
        Assert.Equal(outcome == "ok", r.Findings.All(f => f.Outcome == Outcome.Ok));
    }

    [Fact]
    public void Every_profile_runs_the_seed_and_only_rc5_stalls()
    {
        var stalls = ProfileCatalog.All.Where(p => ScenarioRunner.Run(Seed, p).Devices[0].Outcome != Outcome.Ok).Select(p => p.Name);
        Assert.Equal(["linux-2.6.32-rc5"], stalls);
    }

    [Fact]
    public void Linux_3_0_moves_the_device_out_of_si_domain_with_the_kernel_log_line()
    {
        var r = ScenarioRunner.Run(Seed, ProfileCatalog.Linux30);
        Assert.Contains(r.Log, l => l.EndsWith("32bit 0000:03:00.0 uses non-identity mapping", StringComparison.Ordinal));
        // 4.19 says it under pr_fmt "DMAR: "; 5.4's iommu_need_mapping says it with dev_info, after the group-of-one request.
        Assert.Contains(ScenarioRunner.Run(Seed, ProfileCatalog.Linux419).Log, l => l.EndsWith("DMAR: 32bit 0000:03:00.0 uses non-identity mapping", StringComparison.Ordinal));
        var log54 = ScenarioRunner.Run(Seed, ProfileCatalog.Linux54).Log.Select(l => l[(l.IndexOf(']', StringComparison.Ordinal) + 2)..]).ToList();
        var at = log54.IndexOf("pci 0000:03:00.0: DMAR: 32bit DMA uses non-identity mapping");
        Assert.True(at > 0 && log54[at - 1] == "pci 0000:03:00.0: Using iommu dma mapping", string.Join("\n", log54));
        foreach (var p in ProfileCatalog.All.Where(p => p != ProfileCatalog.Linux30 && p != ProfileCatalog.Linux419 && p != ProfileCatalog.Linux54))
            Assert.DoesNotContain(ScenarioRunner.Run(Seed, p).Log, l => l.Contains("uses non-identity mapping", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"handed DMA address 0x(?<issued>[0-9a-f]+) but its 32 descriptor address lines drove 0x(?<driven>[0-9a-f]+); it fetched (?<what>.+?) from 0x(?<phys>[0-9a-f]+), which is (?<owner>[^,;]+)")]
    private static partial Regex StallFinding();

    [Fact]
    public void The_rc5_finding_names_ring_address_truncated_address_and_owner()
    {
        var m = RunKeeping(Seed, ProfileCatalog.Linux2632Rc5);
        var ring = FirstCoherent(m);
        Assert.True(ring.Dma!.Value.Value > 0xFFFFFFFF, $"ring at {ring.Dma}");
        var f = m.Checker.Findings.First(x => x.Outcome == Outcome.Stall);
        Assert.Equal("smartarray", f.Device);
        var match = StallFinding().Match(f.Message);
        Assert.True(match.Success, f.Message);
        var issued = ulong.Parse(match.Groups["issued"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var driven = ulong.Parse(match.Groups["driven"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.True(issued > 0xFFFFFFFF);
        Assert.Equal(issued & 0xFFFFFFFF, driven);
        // The issued address lies inside the coherent ring the DMA API handed out.
        Assert.InRange(issued, ring.Dma.Value.Value, ring.Dma.Value.Value + ring.Size - 1);
        // Whose memory that was: the frame owner of the truncated address, as the checker saw it.
        Assert.Equal(m.Owners.OwnerOf(new Core.PhysAddr(driven)).ToString(), match.Groups["owner"].Value);
    }

    [Theory]
    [InlineData("linux-2.6.32-rc5", ZoneType.Normal)]       // flags cleared: GFP_KERNEL, Normal first
    [InlineData("linux-2.6.32-rc5+alex", ZoneType.Dma)]     // GFP_DMA|GFP_DMA32 → gfp_zone picks ZONE_DMA (2.6.32)
    [InlineData("linux-2.6.32-rc5+dwmw2", ZoneType.Dma32)]  // dma_generic_alloc_coherent with the front end's GFP_DMA32
    [InlineData("linux-2.6.32", ZoneType.Dma32)]            // coherent 32 < required 34 → GFP_DMA32
    [InlineData("linux-2.6.33", ZoneType.Dma32)]
    public void The_seed_ring_comes_from_the_zone_the_era_chooses(string profile, ZoneType zone)
    {
        var m = RunKeeping(Seed, P(profile));
        var ring = FirstCoherent(m);
        Assert.Equal(zone, ZoneOf(m, ring));
        Assert.Equal(zone != ZoneType.Normal, ring.Dma!.Value.Value + ring.Size - 1 <= 0xFFFFFFFF);
        Assert.Contains($"ZONE_{zone.ToString().ToUpperInvariant()}", ring.Detail, StringComparison.Ordinal);
        // The page allocator agrees: the ring page's allocation event carries the zone.
        Assert.Contains(m.Events.Events.OfType<PageAllocEvent>(), a => a.Start == ring.Cpu && a.Zone == zone);
    }

    [Fact]
    public void Linux_2_6_32_front_end_passed_gfp_dma32_and_the_ring_is_below_4G()
    {
        var m = RunKeeping(Seed, ProfileCatalog.Linux2632);
        var ring = FirstCoherent(m);
        Assert.Contains("GFP_DMA32", ring.Detail, StringComparison.Ordinal);
        Assert.Equal(ring.Cpu!.Value.Value, ring.Dma!.Value.Value); // identity: DMA address is the physical address
        Assert.True(ring.Dma.Value.Value + ring.Size <= 0x100000000);
    }

    [Fact]
    public void Linux_3_0_ring_iova_is_below_the_coherent_mask()
    {
        var m = RunKeeping(Seed, ProfileCatalog.Linux30);
        var ring = FirstCoherent(m);
        Assert.True(ring.Dma!.Value.Value + ring.Size - 1 <= 0xFFFFFFFF);
    }
}
