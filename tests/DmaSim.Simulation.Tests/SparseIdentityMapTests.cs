using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Testing;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// Issue 11 item 4: a software identity map of a huge machine, and a huge RMRR, cost host memory only where a
/// run touches them — and the device still reaches the right page through those tables.
/// </summary>
public sealed class SparseIdentityMapTests
{
    // 64 TiB of RAM, a unit without ECAP.PT: iommu=pt builds si_domain as real 4 KiB page tables.
    private static ScenarioBuilder Machine(string profile, (ulong Start, ulong End)? rmrr = null, string device = "storage-controller", params string[] steps)
    {
        var b = new ScenarioBuilder("sparse").PhysicalAddressBits(48)
            .PcMemory(highEnd: 0x3fffffffffff)
            .Unit(passThrough: false, hostAddressWidth: 48);
        if (rmrr is { } r) b.Rmrr(r.Start, r.End, "07:00.0");
        return b.Device("07:00.0", "dev", device, addressBits: 64)
            .Kernel(profile, "intel_iommu=on iommu=pt")
            .Driver("dev", dmaMaskBits: 64, coherentDmaMaskBits: 64)
            .Workload(steps);
    }

    // A buffer in the last GiB of RAM: the device's DMA walks si_domain's tables down to a leaf kept as its rule.
    private static readonly string[] _dmaAtTheTop =
    [
        "{ device: dev, op: alloc-buffer, size: 64KiB, as: top, at: 0x3fffc0010000 }",
        "{ device: dev, op: map, buffer: top, direction: from-device, as: top-dma }",
        "{ device: dev, op: dma-write, target: top-dma, offset: 0, bytes: 4KiB }",
        "{ device: dev, op: unmap, target: top-dma }",
        "{ device: dev, op: cpu-read, target: top }",
    ];

    private static long Counter(RunResult r, string name) => r.Counters.Single(c => c.Name == name).Value;

    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    [InlineData("linux-4.19")]
    [InlineData("linux-6.1")]
    [InlineData("linux-6.6")]
    public void A_64_TiB_software_identity_map_reaches_the_top_of_ram_in_a_few_pages(string profile)
    {
        var r = ScenarioRunner.Run(Parse(Machine(profile, steps: _dmaAtTheTop)), ProfileCatalog.Find(profile)!);
        var dev = Assert.Single(r.Devices);
        Assert.Equal("identity", dev.DomainName);
        Assert.True(dev.Outcome == Outcome.Ok, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.True(Counter(r, "dmar0-page-walks") > 0, "the DMA went through si_domain's tables");
        // 16 Mi leaf tables (64 GiB of simulated page tables) exist; the host holds a few hundred pages.
        Assert.InRange(Counter(r, "touched-pages"), 1, 4096);
    }

    [Theory]
    [InlineData("linux-3.0")]
    [InlineData("linux-6.1")]
    public void A_16_TiB_rmrr_over_ram_runs_in_a_few_pages(string profile)
    {
        // Found by the fuzz harness as a 16 TiB RMRR: iommu_domain_identity_map clears the range first, so an RMRR
        // over RAM already in si_domain is re-mapped, not reported as 4 Gi "PTE already set" conflicts.
        var yaml = Machine(profile, (0x100000, 0x1000000fffff), steps: _dmaAtTheTop);
        var r = ScenarioRunner.Run(Parse(yaml), ProfileCatalog.Find(profile)!);
        Assert.True(Assert.Single(r.Devices).Outcome == Outcome.Ok, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.DoesNotContain(r.Log, l => l.Contains("already set", StringComparison.Ordinal));
        Assert.InRange(Counter(r, "touched-pages"), 1, 4096);
    }
}
