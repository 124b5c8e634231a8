using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// Issue 11 item 4: a software identity map of a huge machine, and a huge RMRR, cost host memory only where a
/// run touches them — and the device still reaches the right page through those tables.
/// </summary>
public sealed class SparseIdentityMapTests
{
    // 64 TiB of RAM, a unit without ECAP.PT: iommu=pt builds si_domain as real 4 KiB page tables.
    private static string Machine(string profile, string rmrr = "", string device = "storage-controller", params string[] steps) =>
        string.Join('\n',
        [
            "schema: dmasim/v1",
            "name: sparse",
            "platform:",
            "  physical-address-bits: 48",
            "  memory:",
            "    - { start: 0x0, end: 0x9ffff, type: usable }",
            "    - { start: 0x100000, end: 0xbfffffff, type: usable }",
            "    - { start: 0xc0000000, end: 0xffffffff, type: reserved }",
            "    - { start: 0x100000000, end: 0x3fffffffffff, type: usable }",
            "  iommu:",
            "    host-address-width: 48",
            "    units:",
            "      - { base: 0xfed90000, include-pci-all: true, pass-through: false, sagaw: [39, 48] }",
            .. rmrr.Length == 0 ? Array.Empty<string>() : ["    rmrr:", "      - " + rmrr],
            "  devices:",
            $"    - {{ bdf: \"07:00.0\", name: dev, model: {device}, address-bits: 64 }}",
            "kernel:",
            $"  profile: {profile}",
            "  cmdline: intel_iommu=on iommu=pt",
            "drivers:",
            "  - { device: dev, dma-mask-bits: 64, coherent-dma-mask-bits: 64 }",
            "workload:",
            .. steps.Select(s => "  - " + s),
            "",
        ]);

    // A buffer in the last GiB of RAM: the device's DMA walks si_domain's tables down to a leaf kept as its rule.
    private static readonly string[] DmaAtTheTop =
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
        var r = ScenarioRunner.Run(Parse(Machine(profile, steps: DmaAtTheTop)), ProfileCatalog.Find(profile)!);
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
        var yaml = Machine(profile, "{ start: 0x100000, end: 0x1000000fffff, devices: [\"07:00.0\"] }", steps: DmaAtTheTop);
        var r = ScenarioRunner.Run(Parse(yaml), ProfileCatalog.Find(profile)!);
        Assert.True(Assert.Single(r.Devices).Outcome == Outcome.Ok, string.Join(" | ", r.Findings.Select(f => f.Message)));
        Assert.DoesNotContain(r.Log, l => l.Contains("already set", StringComparison.Ordinal));
        Assert.InRange(Counter(r, "touched-pages"), 1, 4096);
    }
}
