using DmaSim.Core;
using DmaSim.Scenarios;
using DmaSim.Testing;
using static DmaSim.Simulation.Tests.SimRig;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>
/// The rules the second source audit (issue 9) changed, each pinned to the behaviour the kernel source
/// gives (docs/kernel-model.md lists the versions read).
/// </summary>
public class SourceAuditTests
{
    private static Scenario SeedFile(string name) =>
        ScenarioLoader.Load(Path.Combine(Path.GetDirectoryName(SeedPath)!, name + ".yaml"));

    private static int IndexOf(IReadOnlyList<string> log, string text) =>
        log.Select((l, i) => (l, i)).First(x => x.l.Contains(text, StringComparison.Ordinal)).i;

    // lib/swiotlb.c (2.6.32) swiotlb_full: panic() for a request larger than the overflow buffer; nothing runs after it.
    [Theory]
    [InlineData("linux-2.6.31")]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    public void Legacy_swiotlb_overflow_panics_and_the_kernel_stops_there(string profile)
    {
        var r = ScenarioRunner.Run(SeedFile("swiotlb-exhaustion"), P(profile));
        Assert.Equal(Outcome.Panic, r.Devices.Single().Outcome);
        Assert.Single(r.Log, l => l.Contains("Kernel panic - not syncing", StringComparison.Ordinal));
        var panicAt = IndexOf(r.Log, "Kernel panic - not syncing: DMA: Random memory could be DMA read");
        // The 257 further 256 KiB maps of the workload never run: no swiotlb message after the panic.
        Assert.DoesNotContain(r.Log.Skip(panicAt + 1), l => l.Contains("SW-IOMMU", StringComparison.Ordinal));
        Assert.Contains(r.Findings, f => f.Kind == FindingKind.KernelPanic && f.Outcome == Outcome.Panic);
    }

    [Fact]
    public void Modern_swiotlb_full_is_a_mapping_error_not_a_panic()
    {
        var r = ScenarioRunner.Run(SeedFile("swiotlb-exhaustion"), P("linux-6.1"));
        Assert.Equal(Outcome.MapError, r.Devices.Single().Outcome);
        Assert.DoesNotContain(r.Log, l => l.Contains("Kernel panic", StringComparison.Ordinal));
    }

    // 2.6.31 has no all-ones check: CAP/ECAP = ~0 are trusted and IOMMU_WAIT_OP panics in init_dmars.
    [Fact]
    public void Registers_all_ones_panic_2_6_31_at_boot_and_no_driver_runs()
    {
        var r = ScenarioRunner.Run(SeedFile("bios-drhd-registers-all-ones"), P("linux-2.6.31"));
        Assert.Equal(Outcome.Panic, r.Devices.Single().Outcome);
        Assert.Equal("none", r.Devices.Single().DmaOpsName);
        Assert.Contains("Kernel panic - not syncing: DMAR hardware is malfunctioning", r.Log[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(r.Log, l => l.Contains("returns all ones", StringComparison.Ordinal));
    }

    // detect_intel_iommu → check_zero_address (2.6.32 stable, 2.6.33): dmar_disabled before pci_swiotlb_init.
    [Theory]
    [InlineData("bios-drhd-at-address-zero", "linux-2.6.32", Outcome.MapError, "direct")]
    [InlineData("bios-drhd-at-address-zero", "linux-2.6.32.7", Outcome.Ok, "swiotlb")]
    [InlineData("bios-drhd-registers-all-ones", "linux-2.6.32", Outcome.MapError, "direct")]
    [InlineData("bios-drhd-registers-all-ones", "linux-2.6.32.7", Outcome.Ok, "swiotlb")]
    public void Probe_time_bios_checks_leave_the_machine_on_swiotlb(string scenario, string profile, Outcome outcome, string ops)
    {
        var r = ScenarioRunner.Run(SeedFile(scenario), P(profile));
        var d = r.Devices.Single();
        Assert.Equal(outcome, d.Outcome);
        Assert.Equal(ops, d.DmaOpsName);
        Assert.Contains(r.Log, l => l.Contains("Your BIOS is broken", StringComparison.Ordinal));
        if (profile == "linux-2.6.32.7")
            Assert.True(IndexOf(r.Log, "Your BIOS is broken") < IndexOf(r.Log, "software IO TLB"), "the probe-time check runs before the swiotlb pool is set up");
    }

    // 2.6.32 intel_iommu_init: if (no_iommu || swiotlb || dmar_disabled) return -ENODEV; 75f1cdf1dda9 drops swiotlb from the test.
    [Theory]
    [InlineData("linux-2.6.32", "none", "swiotlb")]
    [InlineData("linux-2.6.33", "translated", "intel-iommu")]
    [InlineData("linux-3.0", "translated", "intel-iommu")]
    public void Swiotlb_force_keeps_vtd_off_only_up_to_2_6_32(string profile, string domain, string ops)
    {
        var s = Parse(Storage(cmdline: "intel_iommu=on swiotlb=force", driver: "{ device: smartarray, dma-mask-bits: 32 }", profile: profile));
        var r = ScenarioRunner.Run(s, P(profile));
        var d = r.Devices.Single();
        Assert.Equal(domain, d.DomainName);
        Assert.Equal(ops, d.DmaOpsName);
    }

    // dma32_reserve_bootmem / dma32_free_bootmem (2.6.3x pci-dma.c): the pool lands at 512 MiB when RAM goes above 4 GiB.
    [Theory]
    [InlineData("linux-2.6.31", 0x23fffffffUL, true)]
    [InlineData("linux-2.6.33", 0x23fffffffUL, true)]
    [InlineData("linux-2.6.32", null, false)]
    public void Legacy_swiotlb_pool_sits_at_512_MiB_when_ram_goes_above_4_GiB(string profile, ulong? highEnd, bool at512)
    {
        var s = Parse(Storage(highEnd: highEnd, cmdline: "swiotlb=force iommu=soft", profile: profile));
        var r = ScenarioRunner.Run(s, P(profile));
        Assert.Equal(at512, r.Log.Any(l => l.Contains("software IO TLB at phys 0x20000000 - 0x24000000", StringComparison.Ordinal)));
        Assert.Contains(r.Log, l => l.Contains("software IO TLB at phys", StringComparison.Ordinal));
    }
}

/// <summary>The boot lines of item 6: 6.1's iommu_subsys_init wording and when each era prints the swiotlb pool.</summary>
public class SourceAuditLogTests
{
    private static IReadOnlyList<string> Log(string profile, string cmdline, ulong? highEnd = 0x23fffffff) =>
        ScenarioRunner.Run(Parse(Storage(highEnd: highEnd, cmdline: cmdline, profile: profile)), P(profile)).Log;

    private static bool Has(IReadOnlyList<string> log, string line) => log.Any(l => l.EndsWith("] " + line, StringComparison.Ordinal));

    [Fact]
    public void Linux_6_1_prints_the_domain_type_with_a_trailing_space_and_no_policy_line_for_passthrough()
    {
        var translated = Log("linux-6.1", "intel_iommu=on");
        Assert.True(Has(translated, "iommu: Default domain type: Translated "), string.Join('\n', translated));
        Assert.True(Has(translated, "iommu: DMA domain TLB invalidation policy: lazy mode "));
        var pt = Log("linux-6.1", "intel_iommu=on iommu=pt");
        Assert.True(Has(pt, "iommu: Default domain type: Passthrough (set via kernel command line)"));
        Assert.DoesNotContain(pt, l => l.Contains("invalidation policy", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("intel_iommu=on iommu.strict=1", "iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)")]
    [InlineData("intel_iommu=on,strict", "iommu: DMA domain TLB invalidation policy: strict mode ")]
    public void Linux_6_1_says_when_strict_came_from_iommu_strict(string cmdline, string line) =>
        Assert.True(Has(Log("linux-6.1", cmdline), line));

    [Fact]
    public void Linux_6_1_prints_the_swiotlb_pool_after_vtd_init()
    {
        var log = Log("linux-6.1", "intel_iommu=on");
        var vtd = log.ToList().FindIndex(l => l.Contains("Intel(R) Virtualization Technology", StringComparison.Ordinal));
        var mapped = log.ToList().FindIndex(l => l.Contains("software IO TLB: mapped", StringComparison.Ordinal));
        Assert.True(vtd >= 0 && mapped > vtd, string.Join('\n', log));
    }

    // 75f1cdf1dda9: swiotlb_init(0) at boot, swiotlb_print_info only when the pool survives pci_iommu_init.
    [Theory]
    [InlineData("linux-2.6.33", "intel_iommu=on", false)]
    [InlineData("linux-2.6.33", "intel_iommu=off", true)]
    [InlineData("linux-3.0", "intel_iommu=on", false)]
    public void From_2_6_33_the_pool_is_printed_only_if_it_stays(string profile, string cmdline, bool printed)
    {
        var log = Log(profile, cmdline);
        Assert.Equal(printed, log.Any(l => l.Contains("software IO TLB at phys", StringComparison.Ordinal)));
        Assert.Equal(printed, log.Any(l => l.Contains("PCI-DMA: Using software bounce buffering", StringComparison.Ordinal)));
    }

    [Fact]
    public void Linux_2_6_32_prints_the_pool_as_it_sets_it_up()
    {
        var log = Log("linux-2.6.32", "intel_iommu=off");
        Assert.Contains(log, l => l.Contains("PCI-DMA: Using software bounce buffering", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("software IO TLB at phys 0x20000000", StringComparison.Ordinal));
    }
}

/// <summary>Items 7 and 10: the flush-queue ring and 3.0's host-bridge skip.</summary>
public class SourceAuditIommuTests
{
    // 6.1 queue_iova: fq_full() at (tail + 1) % 256 == head → the 256th queued IOVA flushes the 255 before it.
    [Theory]
    [InlineData("linux-6.1", 255)]
    [InlineData("linux-2.6.32", 250)]
    public void The_lazy_unmap_queue_flushes_when_its_ring_is_full(string profile, int capacity)
    {
        var s = Parse(Storage(cmdline: "intel_iommu=on", driver: "{ device: smartarray, dma-mask-bits: 64 }", profile: profile,
            workload: "{ device: smartarray, run: io, count: 1, size: 4KiB }"));
        var m = RunKeeping(s, P(profile));
        var unmaps = m.Kernel.Iommu!.Unmaps;
        unmaps.Flush();
        var flushes = unmaps.Flushes;
        var dev = m.Kernel.Device("smartarray");
        var page = m.Kernel.K.Pages.AllocPages(0, DmaSim.Kernel.Mm.Gfp.Kernel, new DmaSim.Hardware.Memory.FrameOwner(DmaSim.Hardware.Memory.OwnerKind.KernelBuffer, "smartarray", "buf"))!.Value.Start;
        for (var i = 0; i < capacity; i++)
        {
            var map = m.Kernel.Dma.Map(dev, page, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
            Assert.True(map.Ok, map.Error);
            m.Kernel.Dma.Unmap(dev, map.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        }
        Assert.Equal(flushes, unmaps.Flushes);
        Assert.Equal(capacity, unmaps.Pending);
        var last = m.Kernel.Dma.Map(dev, page, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        m.Kernel.Dma.Unmap(dev, last.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        Assert.Equal(flushes + 1, unmaps.Flushes);
        Assert.Equal(1, unmaps.Pending);
    }

    private static ScenarioBuilder WithHostBridge => new ScenarioBuilder("host-bridge", seed: 1)
        .PcMemory()
        .Unit(passThrough: true)
        .Device("00:00.0", "hostbridge", "host-bridge", addressBits: 64)
        .Device("03:00.0", "nic", "scripted", addressBits: 64)
        .Kernel("linux-3.0", "intel_iommu=on iommu=pt")
        .Workload("{ device: nic, op: map, size: 4KiB, direction: to-device, as: buf }");

    // 2.6.32 iommu_prepare_static_identity_mapping adds every device; 3.0 skips IS_BRIDGE_HOST_DEVICE first.
    [Theory]
    [InlineData("linux-2.6.32", true)]
    [InlineData("linux-3.0", false)]
    public void Linux_3_0_leaves_the_host_bridge_out_of_si_domain(string profile, bool identity)
    {
        var r = ScenarioRunner.Run(Parse(WithHostBridge), P(profile));
        Assert.Equal(identity, r.Log.Any(l => l.EndsWith("IOMMU: hardware identity mapping for device 0000:00:00.0", StringComparison.Ordinal)));
        Assert.Equal(identity ? "passthrough" : "translated", r.Devices.Single(d => d.Name == "hostbridge").DomainName);
        Assert.Contains(r.Log, l => l.EndsWith("IOMMU: hardware identity mapping for device 0000:03:00.0", StringComparison.Ordinal));
    }
}

/// <summary>Item 12: the simulated kernel services the DMAR fault interrupt and prints each fault as its era did; the fault record holds the source id the hardware saw (the bridge alias 05:00.0), not the function behind it.</summary>
public class SourceAuditFaultHandlerTests
{
    private static readonly string[] _ratelimitedCmdline = ["intel_iommu=on"];

    [Fact]
    public void Linux_2_6_32_prints_the_status_register_and_two_lines_per_fault()
    {
        var file = Path.Combine(Path.GetDirectoryName(SeedPath)!, "bridge-alias-missing.yaml");
        var r = ScenarioRunner.Run(ScenarioLoader.Load(file), P("linux-2.6.32"));
        Assert.Contains(r.Log, l => l.EndsWith("] DRHD: handling fault status reg 2", StringComparison.Ordinal));
        Assert.Contains(r.Log, l => l.Contains("] DMAR:[DMA ", StringComparison.Ordinal) && l.Contains("Request device [05:00.0] fault addr", StringComparison.Ordinal));
        Assert.Contains(r.Log, l => l.EndsWith("DMAR:[fault reason 02] Present bit in context entry is clear", StringComparison.Ordinal));
    }

    [Fact]
    public void Linux_6_1_prints_one_line_per_fault_with_no_pasid()
    {
        var file = Path.Combine(Path.GetDirectoryName(SeedPath)!, "bridge-alias-missing.yaml");
        var r = ScenarioRunner.Run(ScenarioLoader.Load(file), P("linux-6.1"));
        Assert.Contains(r.Log, l => l.EndsWith("] DMAR: DRHD: handling fault status reg 2", StringComparison.Ordinal));
        Assert.Contains(r.Log, l => l.Contains("] DMAR: [DMA ", StringComparison.Ordinal) && l.Contains(" NO_PASID] Request device [05:00.0] fault addr 0x", StringComparison.Ordinal)
            && l.EndsWith("[fault reason 0x02] Present bit in context entry is clear", StringComparison.Ordinal));
    }

    // 6.1 dmar_fault: one ratelimit state (10 per 5 s) shared by the status line and every record.
    [Theory]
    [InlineData("linux-6.1", 5)]
    [InlineData("linux-2.6.32", 20)]
    public void Twenty_faults_in_a_burst_print_as_the_era_allows(string profile, int printed)
    {
        var s = Parse(Storage(cmdline: _ratelimitedCmdline[0], driver: "{ device: smartarray, dma-mask-bits: 64 }", profile: profile,
            workload: "{ device: smartarray, run: io, count: 1, size: 4KiB }"));
        var m = RunKeeping(s, P(profile));
        var bdf = DmaSim.Simulation.Machine.SimMachine.ToBdf(s.Device("smartarray").Bdf);
        for (var i = 0; i < 20; i++)
        {
            // An IOVA nobody mapped: the unit blocks the write and records a fault.
            Assert.False(m.Fabric.Write(bdf, new DmaSim.Core.DmaAddr(0x7000_0000UL + (ulong)i * 4096), new byte[64], DmaSim.Hardware.Platform.DmaLines.Data).Ok);
            m.Kernel.ServiceInterrupts();
            m.Clock.Advance(1000);
        }
        var lines = m.Events.LogLines().Where(l => l.Contains("Request device", StringComparison.Ordinal)).ToList();
        Assert.Equal(printed, lines.Count);
        Assert.Equal(20, m.Kernel.Iommu!.Faults.Handled.Count);
        if (profile != "linux-6.1") return;
        m.Clock.Advance(6_000_000_000);
        Assert.False(m.Fabric.Write(bdf, new DmaSim.Core.DmaAddr(0x7100_0000UL), new byte[64], DmaSim.Hardware.Platform.DmaLines.Data).Ok);
        m.Kernel.ServiceInterrupts();
        Assert.Contains("dmar_fault: 30 callbacks suppressed", m.Events.LogLines());
    }

    // arch/x86/mm/init_64.c: hot-add raises max_pfn only from ea0854170c95 (2.6.33; stable 2.6.32.19), so
    // dma_get_required_mask (drivers/base/platform.c, max_pfn) stays at the boot value in 2.6.31 – 2.6.32.7.
    [Theory]
    [InlineData("linux-2.6.31", "max_pfn stays 0x240000", "0x3ffffffff")]
    [InlineData("linux-2.6.32", "max_pfn stays 0x240000", "0x3ffffffff")]
    [InlineData("linux-2.6.32.7", "max_pfn stays 0x240000", "0x3ffffffff")]
    [InlineData("linux-2.6.33", "max_pfn 0x1040000", "0x1fffffffff")]
    [InlineData("linux-3.0", "max_pfn 0x1040000", "0x1fffffffff")]
    public void Memory_hot_add_raises_max_pfn_and_the_required_mask_from_2_6_33(string profile, string maxPfn, string required)
    {
        var r = ScenarioRunner.Run(ScenarioLoader.Load(Path.Combine(Path.GetDirectoryName(SeedPath)!, "hotplug-above-mask.yaml")), P(profile));
        var note = Assert.Single(r.Log, l => l.Contains("memory hot-add", StringComparison.Ordinal));
        Assert.Contains($"{maxPfn}", note, StringComparison.Ordinal);
        Assert.EndsWith($"required DMA mask now {required}", note, StringComparison.Ordinal);
    }
}
