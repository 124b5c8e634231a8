using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// Inputs that once ended in exit 70 (issue 11): each now runs as the kernel would, or is refused as
/// bad input at its place. One machine, varied by the numbers each case needs.
/// </summary>
public sealed class RobustnessRegressionTests
{
    private static string Machine(
        string profile = "linux-6.1", string cmdline = "intel_iommu=on", int physBits = 40, int haw = 40,
        string highEnd = "0x23fffffff", string unit = "pass-through: true", int deviceBits = 64, params string[] steps) =>
        string.Join('\n',
        [
            "schema: dmasim/v1",
            "name: robust",
            "platform:",
            $"  physical-address-bits: {physBits}",
            "  memory:",
            "    - { start: 0x0, end: 0x9ffff, type: usable }",
            "    - { start: 0x100000, end: 0xbfffffff, type: usable }",
            $"    - {{ start: 0x100000000, end: {highEnd}, type: usable }}",
            "  iommu:",
            $"    host-address-width: {haw}",
            "    units:",
            $"      - {{ base: 0xfed90000, include-pci-all: true, {unit} }}",
            "  devices:",
            $"    - {{ bdf: \"04:00.0\", name: dev, model: scripted, address-bits: {deviceBits} }}",
            "kernel:",
            $"  profile: {profile}",
            $"  cmdline: {cmdline}",
            "workload:",
            .. steps.Select(x => "  - " + x),
            "",
        ]);

    private const string Map4K = "{ device: dev, op: map, size: 4KiB, direction: to-device, as: m }";

    private static InputException Refused(string yaml, KernelProfile profile) =>
        Assert.Throws<InputException>(() => ScenarioRunner.Run(Parse(yaml), profile));

    [Fact]
    public void Legacy_swiotlb_coherent_fallback_from_the_pool_runs_on_16_TiB()
    {
        // 2.6.31 iommu=pt: swiotlb ops; every page is above the 40-bit coherent mask, so
        // x86_swiotlb_alloc_coherent falls back to the bounce pool (a buffer with no buddy order).
        var yaml = Machine("linux-2.6.31", "intel_iommu=on iommu=pt", physBits: 46, haw: 46, highEnd: "0xfffffffffff", deviceBits: 40, steps:
        [
            "{ device: dev, op: set-mask, dma-mask-bits: 40, coherent-dma-mask-bits: 40 }",
            "{ device: dev, op: alloc-coherent, size: 8KiB, as: c }",
            "{ device: dev, op: dma-write, target: c }",
            "{ device: dev, op: free-coherent, target: c }",
        ]);
        var r = ScenarioRunner.Run(Parse(yaml), ProfileCatalog.Linux2631);
        Assert.Equal("swiotlb", r.Devices[0].DmaOpsName);
        Assert.True(r.Devices[0].Outcome == Outcome.Ok, string.Join(" | ", r.Findings.Select(f => f.Message)));
    }

    [Fact]
    public void Ram_above_the_dmar_host_address_width_is_refused_at_its_memory_entry()
    {
        var e = Refused(Machine(haw: 39, highEnd: "0x8000000fff"), ProfileCatalog.Linux61);
        Assert.Equal(8, e.Where.Line);
        Assert.Contains("beyond the DMAR host address width (39 bits", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(58)]
    [InlineData(64)]
    public void Host_address_widths_up_to_64_run(int haw)
    {
        var r = ScenarioRunner.Run(Parse(Machine(physBits: 52, haw: haw, unit: "sagaw: [48]", steps: [Map4K])), ProfileCatalog.Linux61);
        Assert.Equal(Outcome.Ok, r.Devices[0].Outcome);
        Assert.Contains(r.Log, l => l.EndsWith($"Host address width {haw}", StringComparison.Ordinal));
    }

    [Fact]
    public void Sagaw_30_runs_beside_a_wider_width_and_alone_is_refused_at_the_key()
    {
        var r = ScenarioRunner.Run(Parse(Machine(unit: "sagaw: [30, 48]", steps: [Map4K])), ProfileCatalog.Linux61);
        Assert.Equal(Outcome.Ok, r.Devices[0].Outcome);
        var e = Assert.Throws<InputException>(() => Parse(Machine(unit: "sagaw: [30]")));
        Assert.Equal(12, e.Where.Line);
        Assert.Contains("sagaw: 30 without 39 or 48", e.Problem, StringComparison.Ordinal);
        // The same unit described by its registers: SAGAW bits 0 and 3 (30 and 57 bits), as a fuzzed cap had.
        var cap = Assert.Throws<InputException>(() => Parse(Machine(unit: "cap: \"1f637090e\", ecap: \"f2a8a163a4\"")));
        Assert.Equal(12, cap.Where.Line);
        Assert.Contains("SAGAW offers 2-level tables", cap.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Swiotlb_0_gets_the_default_pool_as_swiotlb_init_with_default_size_gives_it()
    {
        var m = RunKeeping(Parse(Machine("linux-2.6.31", "intel_iommu=off swiotlb=0", deviceBits: 32, steps: [Map4K])), ProfileCatalog.Linux2631);
        Assert.Equal(32768, m.Kernel.K.Swiotlb!.TotalSlots);
    }

    [Fact]
    public void A_legacy_pool_larger_than_low_memory_panics_at_boot_and_nothing_runs()
    {
        // lib/swiotlb.c (2.6.3x) swiotlb_init_with_default_size: alloc_bootmem_low_pages fails → panic.
        // That is what the machine does, so it is the answer (outcome panic), not an input error.
        var r = ScenarioRunner.Run(Parse(Machine("linux-2.6.31", "intel_iommu=off swiotlb=99999999", deviceBits: 32, steps: [Map4K])), ProfileCatalog.Linux2631);
        Assert.Contains(r.Log, l => l.EndsWith("Kernel panic - not syncing: DMA: Cannot allocate SWIOTLB buffer", StringComparison.Ordinal));
        Assert.All(r.Devices, d => Assert.Equal(Outcome.Panic, d.Outcome));
    }

    [Fact]
    public void A_modern_kernel_without_low_memory_for_a_pool_boots_without_one_and_fails_the_map()
    {
        // Only 640 KiB below 4 GiB: swiotlb_init_remap halves down to IO_TLB_MIN_SLABS (1 MiB), fails, and
        // boots on without a pool; dma-direct then refuses what a 32-bit device cannot reach.
        var yaml = Machine("linux-6.1", "intel_iommu=off", deviceBits: 32, steps:
        [
            "{ device: dev, op: alloc-buffer, size: 4KiB, as: hi, at: 0x200000000 }",
            "{ device: dev, op: map, buffer: hi, direction: to-device, as: m }",
        ]).Replace("    - { start: 0x100000, end: 0xbfffffff, type: usable }\n", "", StringComparison.Ordinal);
        var r = ScenarioRunner.Run(Parse(yaml), ProfileCatalog.Linux61);
        Assert.Contains(r.Log, l => l.Contains("Failed to allocate", StringComparison.Ordinal));
        Assert.Equal(Outcome.MapError, r.Devices[0].Outcome);
    }

    [Fact]
    public void The_suite_runner_throws_a_cells_own_exception_not_an_aggregate()
    {
        var bad = Parse(Machine(haw: 39, highEnd: "0x8000000fff"));
        var cells = ProfileCatalog.All.Select(p => (bad, p)).ToList();
        var e = Assert.Throws<InputException>(() => SuiteRunner.Run(cells));
        Assert.Equal(8, e.Where.Line);
    }

    [Theory]
    [InlineData("{ device: dev, op: dma-read, target: m, bytes: 2GiB }", "bytes must be at most 64MiB")]
    [InlineData("{ device: dev, op: cpu-read, target: m, offset: 0xffffffffffff0000, bytes: 16 }", "is beyond the 40-bit physical address space")]
    [InlineData("{ device: dev, op: map, size: 2TiB, direction: to-device, as: big }", "size must be at most")]
    public void Oversized_offsets_and_sizes_are_refused_where_they_are_written(string step, string problem)
    {
        var e = Assert.Throws<InputException>(() => Parse(Machine(steps: [Map4K, step])));
        Assert.Equal(20, e.Where.Line);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_offset_may_leave_physical_memory_but_not_the_64_bit_dma_address_space()
    {
        // A stale or wild handle is what a checker exists to catch, so a DMA offset is any 64-bit
        // distance; only a sum that wraps past 2^64 is not an address a device can send.
        var wild = Parse(Machine(steps: [Map4K, "{ device: dev, op: dma-read, target: m, offset: 0x10000000000, bytes: 16 }"]));
        var far = ScenarioRunner.Run(wild, ProfileCatalog.Linux61);
        Assert.NotEqual(Outcome.Ok, far.Devices[0].Outcome);
        var wraps = Parse(Machine(steps: [Map4K, "{ device: dev, op: dma-read, target: m, offset: 0xffffffffffff0000, bytes: 16 }"]));
        var e = Assert.Throws<InputException>(() => ScenarioRunner.Run(wraps, ProfileCatalog.Linux61));
        Assert.Equal(20, e.Where.Line);
        Assert.Contains("runs past the 64-bit DMA address space", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_4_GiB_access_without_bytes_is_refused_not_truncated_to_nothing()
    {
        var yaml = Machine(highEnd: "0x2ffffffff", steps:
        [
            "{ device: dev, op: alloc-buffer, size: 4GiB, as: big, at: 0x100000000 }",
            "{ device: dev, op: cpu-write, target: big }",
        ]);
        var e = Refused(yaml, ProfileCatalog.Linux61);
        Assert.Equal(20, e.Where.Line);
        Assert.Contains("cpu-write of 4GiB moves more than 64MiB", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_map_from_past_its_buffers_end_needs_a_size_and_an_access_there_moves_exactly_its_bytes()
    {
        var yaml = Machine(steps:
        [
            "{ device: dev, op: alloc-buffer, size: 4KiB, as: b }",
            "{ device: dev, op: map, buffer: b, offset: 8KiB, direction: to-device, as: m }",
        ]);
        var e = Refused(yaml, ProfileCatalog.Linux61);
        Assert.Equal(20, e.Where.Line);
        Assert.Contains("offset 0x2000 is at or past the end of 'b' (4KiB); give 'size:'", e.Problem, StringComparison.Ordinal);

        var past = Machine(steps: [Map4K, "{ device: dev, op: dma-read, target: m, offset: 8KiB, bytes: 16 }"]);
        var r = ScenarioRunner.Run(Parse(past), ProfileCatalog.Linux61);
        // 8 KiB into a 4 KiB mapping of a translated domain: the IOMMU blocks the 16 bytes.
        Assert.Equal(Outcome.Fault, r.Devices[0].Outcome);
    }

    [Fact]
    public void Run_io_count_is_bounded_at_the_key()
    {
        var yaml = Machine().Replace("  devices:\n    - { bdf: \"04:00.0\", name: dev, model: scripted, address-bits: 64 }",
            "  devices:\n    - { bdf: \"04:00.0\", name: dev, model: storage-controller, address-bits: 64 }", StringComparison.Ordinal)
            + "  - { device: dev, run: io, count: 1000000 }\n";
        var e = Assert.Throws<InputException>(() => Parse(yaml));
        Assert.Contains("count must be at most 65536, not 1000000", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_rmrr_whose_identity_map_needs_more_than_all_ram_fails_its_map_or_ends_in_the_oom_panic()
    {
        // Found by the long fuzz campaign once RMRRs were unbounded: 7 TiB of RMRR on an 8 GiB machine needs 14 GiB of
        // page tables. The map that runs dry is -ENOMEM ("mapping reserved region failed"); a kernel that then cannot
        // get one page for a domain's or a unit's table has no memory at all: the OOM panic. Never an internal error.
        var yaml = Machine(unit: "pass-through: false", physBits: 46, haw: 48, steps: ["{ device: dev, op: map, size: 4KiB, direction: bidirectional, as: m }"])
            .Replace("  devices:", "    rmrr:\n      - { start: 0x8b49b11e000, end: 0xfffffffffff, devices: [dev] }\n  devices:", StringComparison.Ordinal);
        foreach (var profile in ProfileCatalog.All)
        {
            var r = ScenarioRunner.Run(Parse(yaml), profile);
            Assert.Contains(r.Devices[0].Outcome, new[] { Outcome.MapError, Outcome.Panic, Outcome.Ok });
            if (r.Devices[0].Outcome == Outcome.Panic) Assert.Contains(r.Log, l => l.Contains("Out of memory and no killable processes", StringComparison.Ordinal));
        }
        Assert.Equal(Outcome.Panic, ScenarioRunner.Run(Parse(yaml), ProfileCatalog.Linux61).Devices[0].Outcome);
    }

    [Fact]
    public void The_bytes_io_jobs_move_are_bounded_at_the_step_that_passes_the_bound()
    {
        // Found by the long fuzz campaign: count 8KiB × 1 MiB moved 16 GiB for real and ran 23 s.
        var storage = Machine().Replace("model: scripted", "model: storage-controller", StringComparison.Ordinal);
        var fits = storage + "  - { device: dev, run: io, count: 1024, size: 1MiB }\n  - { device: dev, run: io, count: 16384 }\n";
        Assert.Equal(2, Parse(fits).Workload.Length); // 1 GiB + 16384 × the default 64 KiB = exactly 2 GiB
        var e = Assert.Throws<InputException>(() => Parse(fits + "  - { device: dev, run: io, count: 1, size: 4KiB }\n"));
        Assert.Contains("io jobs move more than 2GiB up to here", e.Problem, StringComparison.Ordinal);
        Assert.Equal(fits.Split('\n').Length, e.Where.Line);
    }

    [Theory]
    [InlineData("[    1.000000] pci 0000:00:1d.0: Adding to iommu group 99999999999\n")]
    [InlineData("[    1.000000] iommu: Adding device 0000:00:1d.0 to group 2147483648\n")]
    public void An_iommu_group_beyond_int_is_refused_at_its_line(string line)
    {
        var log = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n" + line;
        var e = Assert.Throws<InputException>(() => Simulation.Import.KernelLog.Parse(log, "boot.txt"));
        Assert.Equal(2, e.Where.Line);
        Assert.Contains("out of range", e.Problem, StringComparison.Ordinal);
    }
}
