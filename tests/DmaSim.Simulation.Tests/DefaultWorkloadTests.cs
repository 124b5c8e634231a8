using DmaSim.Core;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Simulation.Tests.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// Issue 8, item 5: a machine with no workload runs each device's driver pattern, `descriptor-address-bits`
/// works on scripted devices, and a coherent buffer above the coherent mask is a finding on its own.
/// </summary>
public class DefaultWorkloadTests
{
    private static readonly string[] _fixedProfiles = ["linux-2.6.32", "linux-3.0", "linux-6.1"];

    /// <summary>
    /// The issue's example: a NIC whose driver sets only a 64-bit streaming mask (the coherent mask stays at
    /// the PCI default 32 bits) and whose descriptor engine drives 32 address lines, on a 64 GiB machine with
    /// a pass-through-capable unit, `intel_iommu=on iommu=pt`.
    /// </summary>
    private static ScenarioBuilder Nic(int descriptorBits = 32, params string[]? workload)
    {
        var b = new ScenarioBuilder("nic-64g", seed: 3)
            .PcMemory(highEnd: 0x103fffffff)
            .Unit(passThrough: true)
            .Device("00:00.0", "host", "host-bridge", addressBits: 64)
            .Device("00:1c.0", "root", "pcie-root-port", secondaryBus: 0x02)
            .Device("02:00.0", "nic", "scripted", addressBits: 64, descriptorAddressBits: descriptorBits)
            .Kernel("linux-2.6.32-rc5", "intel_iommu=on iommu=pt")
            .Driver("nic", dmaMaskBits: 64);
        return workload is null or [] ? b : b.Workload(workload);
    }

    private static RunResult Run(ScenarioBuilder scenario, string profile) => ScenarioRunner.Run(SimRig.Parse(scenario), SimRig.P(profile));

    private static DeviceResult Nic(RunResult r) => r.Devices.Single(d => d.Name == "nic");

    [Fact]
    public void The_issues_nic_stalls_under_rc5_pass_through_and_is_ok_where_the_fixes_landed()
    {
        var rc5 = Run(Nic(), "linux-2.6.32-rc5");
        Assert.True(rc5.DefaultWorkload);
        // The host bridge and the root port do no DMA: no counter, no finding.
        Assert.DoesNotContain(rc5.Counters, c => c.Name is "host-dma-transactions" or "root-dma-transactions");
        Assert.DoesNotContain(rc5.Findings, f => f.Device is "host" or "root");
        Assert.Equal(DeviceDomain.PassThrough, Nic(rc5).Domain);
        Assert.Equal(Outcome.Stall, Nic(rc5).Outcome);
        // The coherent buffer came from ZONE_NORMAL above 4 GiB: flagged at the call with the kernel's reason.
        var above = rc5.Findings.First(f => f.Kind == FindingKind.CoherentAboveMask);
        Assert.Contains("above the 32-bit coherent mask", above.Message, StringComparison.Ordinal);
        Assert.Contains("ZONE_NORMAL", above.Message, StringComparison.Ordinal);
        Assert.Contains("intel_alloc_coherent", above.Message, StringComparison.Ordinal);
        // The ring fetch through the 32 descriptor lines then reads the wrong page.
        Assert.Contains(rc5.Findings, f => f.Kind == FindingKind.StrayControlRead && f.Device == "nic");
        // Every other profile (the thread's two patches, what shipped in 2.6.32, 2.6.31's swiotlb, 3.0, 6.1) is
        // ok, as the seed suite's smartarray-passthrough says; so is rc5 itself when the device is translated.
        Assert.Equal(Outcome.Ok, Nic(ScenarioRunner.Run(SimRig.Parse(Nic()), SimRig.P("linux-2.6.32-rc5"), "intel_iommu=on")).Outcome);
        foreach (var p in Kernel.Profiles.ProfileCatalog.All.Select(x => x.Name).Where(n => n != "linux-2.6.32-rc5"))
        {
            var r = Run(Nic(), p);
            Assert.True(Nic(r).Outcome == Outcome.Ok, $"{p}: {Nic(r).OutcomeName}: {string.Join("; ", r.Findings.Select(f => f.Message))}");
            Assert.DoesNotContain(r.Findings, f => f.Kind == FindingKind.CoherentAboveMask);
            Assert.True(r.Counters.Single(c => c.Name == "nic-dma-transactions").Value > 0, p);
        }
    }

    [Fact]
    public void A_coherent_buffer_above_the_mask_is_flagged_before_any_dma()
    {
        // Only the allocation: no device DMA at all.
        var r = Run(Nic(workload: "{ device: nic, op: alloc-coherent, size: 4KiB, as: ring }"), "linux-2.6.32-rc5");
        Assert.False(r.DefaultWorkload);
        Assert.Equal(0, r.Counters.Single(c => c.Name == "dma-transactions").Value);
        var f = Assert.Single(r.Findings, f => f.Kind == FindingKind.CoherentAboveMask);
        Assert.Equal(Outcome.Stall, f.Outcome);
        Assert.Equal(Outcome.Stall, Nic(r).Outcome);
        Assert.Equal(Outcome.Ok, Nic(Run(Nic(workload: "{ device: nic, op: alloc-coherent, size: 4KiB, as: ring }"), "linux-2.6.32")).Outcome);
    }

    [Fact]
    public void Descriptor_address_bits_on_a_scripted_device_change_the_outcome()
    {
        // A scripted ring fetch of a coherent buffer goes through the descriptor lines; a mapping's through the data lines.
        string[] script = ["{ device: nic, op: alloc-coherent, size: 4KiB, as: ring }", "{ device: nic, op: dma-read, target: ring, offset: 0, bytes: 64 }"];
        var narrow = Run(Nic(32, script), "linux-2.6.32-rc5");
        var wide = Run(Nic(64, script), "linux-2.6.32-rc5");
        Assert.Equal(Outcome.Stall, Nic(narrow).Outcome);
        Assert.Contains(narrow.Findings, f => f.Kind == FindingKind.StrayControlRead);
        Assert.Equal(Outcome.Ok, Nic(wide).Outcome);
        // Still flagged on its own, with the outcome the silicon makes of it.
        Assert.Equal(Outcome.Ok, Assert.Single(wide.Findings, f => f.Kind == FindingKind.CoherentAboveMask).Outcome);
        // The same through the default workload's ring.
        Assert.Equal(Outcome.Stall, Nic(Run(Nic(32), "linux-2.6.32-rc5")).Outcome);
        Assert.Equal(Outcome.Ok, Nic(Run(Nic(64), "linux-2.6.32-rc5")).Outcome);
    }

    /// <summary>The ring device's buffers lie all over RAM: one at its top, one in each lower sixth of usable RAM.</summary>
    [Fact]
    public void The_buffers_spread_over_all_ram_from_its_top()
    {
        var s = SimRig.Parse(Nic());
        var m = Machine.SimMachine.Boot(s, SimRig.P("linux-6.1"), s.Kernel.Cmdline);
        new Devices.RingDevice(m, s.Device("nic")).RunDefault();
        var buffers = m.Events.Events.OfType<Kernel.Mm.PageAllocEvent>()
            .Where(e => e.Owner.Label?.Contains(" buffer ", StringComparison.Ordinal) == true)
            .Select(e => e.Start.Value).ToList();
        Assert.Equal(6, buffers.Count);
        // Usable RAM: 640 KiB + 3 GiB - 1 MiB + 61 GiB; a sixth of it is ~10.7 GiB.
        var usable = s.Platform.Memory.Where(r => r.Type == MemoryType.Usable).Select(r => r.Range).ToList();
        var total = usable.Aggregate(0UL, (t, r) => t + r.Size);
        ulong Rank(ulong addr)
        {
            var below = 0UL;
            foreach (var r in usable) below += addr > r.End.Value ? r.Size : addr >= r.Start.Value ? addr - r.Start.Value : 0;
            return below;
        }
        Assert.True(buffers[0] >= 0x103fffffff - (1UL << 20), $"first buffer {buffers[0]:x} is not at the top of RAM");
        var sixths = buffers.Skip(1).Select(a => Rank(a) / (total / 6)).ToList();
        Assert.Equal([4UL, 3, 2, 1, 0], sixths);
        Assert.Contains(buffers, a => a < 0x100000000);
    }

    /// <summary>
    /// A NIC with 32 data address lines behind a 64-bit mask, in pass-through (dma-direct under 6.1): buffers above
    /// 4 GiB are reached at their address cut to 32 bits, so the device transmits other bytes than the driver
    /// wrote and its receive writes land elsewhere; the driver's in-place checks see both. 64 lines: clean.
    /// </summary>
    [Fact]
    public void The_ring_device_checks_see_data_moved_to_and_from_the_wrong_pages()
    {
        static ScenarioBuilder Lines(int bits) => new ScenarioBuilder("nic-lines", seed: 3)
            .PcMemory(highEnd: 0x103fffffff)
            .Unit(passThrough: true)
            .Device("02:00.0", "nic", "scripted", addressBits: bits, descriptorAddressBits: 64)
            .Kernel("linux-6.1", "intel_iommu=on iommu=pt")
            .Driver("nic", dmaMaskBits: 64);
        var narrow = Run(Lines(32), "linux-6.1");
        var mismatches = narrow.Findings.Where(f => f.Kind == FindingKind.DataMismatch && f.Device == "nic").Select(f => f.Message).ToList();
        Assert.Contains(mismatches, m => m.Contains("the device sent other bytes than the", StringComparison.Ordinal));
        Assert.Contains(mismatches, m => m.Contains("receive buffer at", StringComparison.Ordinal) && m.Contains("does not hold what the device wrote", StringComparison.Ordinal));
        Assert.DoesNotContain(Run(Lines(64), "linux-6.1").Findings, f => f.Kind == FindingKind.DataMismatch);
    }

    [Fact]
    public void The_default_workload_is_deterministic()
    {
        var a = Run(Nic(), "linux-6.1");
        var b = Run(Nic(), "linux-6.1");
        Assert.Equal(a.Counters, b.Counters);
        Assert.Equal(a.Log, b.Log);
        Assert.Equal(a.Findings, b.Findings);
    }

    /// <summary>
    /// A real machine imported from a shared sample log (HP ProLiant DL360 G6, the seed thread's hardware class:
    /// a Smart Array whose hpsa driver sets 64/32) run without a workload: every endpoint does DMA, the run says
    /// the default was used, bridges do none, and the controller stalls exactly under 2.6.32-rc5 with iommu=pt.
    /// </summary>
    [Fact]
    public void An_imported_sample_machine_exercises_every_endpoint_and_reports_the_default()
    {
        var dmesg = Path.Combine(RealLog.DmesgDir, "hp-proliant-dl360-g6_5A1D7821BD30_4.19.0-10-amd64-intel_iommu_on.dmesg.txt");
        var dir = Directory.CreateTempSubdirectory("dmasim-default-").FullName;
        var output = Path.Combine(dir, "g6.yaml");
        File.WriteAllText(output, ScenarioImporter.Import(new ImportOptions(dmesg, null, output)));
        var s = ScenarioLoader.Load(output);
        Assert.True(s.Workload.IsEmpty);
        // Functions the log names a driver for run the driver pattern; the rest are imported with no driver and stay idle.
        var endpoints = s.Platform.Devices.Where(d => !d.IsBridge && d.Model != DeviceKind.HostBridge && !d.NoDriver).ToList();
        var idle = s.Platform.Devices.Where(d => d.NoDriver).ToList();
        // The excerpt names two drivers (bnx2, hpsa); its USB and iLO functions print no driver line.
        Assert.True(endpoints.Count >= 2);
        Assert.True(idle.Count > 5);
        foreach (var (profile, cmdline) in new[] { ("linux-6.1", "intel_iommu=on"), ("linux-2.6.32-rc5", "intel_iommu=on iommu=pt") })
        {
            var r = ScenarioRunner.Run(s, SimRig.P(profile), cmdline);
            Assert.True(r.DefaultWorkload);
            // Six transfers of three DMAs each (descriptor fetch, data, status write-back) for a device that works;
            // a device that stalls stops at its first failed fetch but has still done DMA.
            foreach (var d in r.Devices.Where(x => endpoints.Any(e => e.Name == x.Name)))
                Assert.True(r.Counters.Single(c => c.Name == $"{d.Name}-dma-transactions").Value >= (d.Outcome == Outcome.Ok ? 18 : 1), $"{profile}: {d.Name} did no DMA");
            Assert.DoesNotContain(r.Counters, c => s.Platform.Devices.Any(d => d.IsBridge && c.Name == $"{d.Name}-dma-transactions"));
            Assert.All(idle, d => Assert.Equal(0, r.Counters.Single(c => c.Name == $"{d.Name}-dma-transactions").Value));
        }
        var hpsa = s.Platform.Devices.Single(d => d.Driver == "hpsa").Name;
        Assert.Equal(Outcome.Stall, ScenarioRunner.Run(s, SimRig.P("linux-2.6.32-rc5"), "intel_iommu=on iommu=pt").Devices.Single(d => d.Name == hpsa).Outcome);
        foreach (var p in _fixedProfiles)
            Assert.Equal(Outcome.Ok, ScenarioRunner.Run(s, SimRig.P(p), "intel_iommu=on iommu=pt").Devices.Single(d => d.Name == hpsa).Outcome);
    }

    [Fact]
    public void A_device_no_driver_is_bound_to_does_no_dma_in_the_default_workload()
    {
        const string yaml = """
            schema: dmasim/v1
            name: idle
            platform:
              physical-address-bits: 39
              memory:
                - { start: 0x0, end: 0x9ffff, type: usable }
                - { start: 0x100000, end: 0x7fffffff, type: usable }
              devices:
                - { bdf: "00:00.0", name: host, model: scripted, address-bits: 64, driver: none, class: 0x060000 }
                - { bdf: "00:19.0", name: nic, model: scripted, address-bits: 64, driver: e1000e }
            kernel:
              profile: linux-6.1
              cmdline: ""
            """;
        var r = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "idle.yaml"), SimRig.P("linux-6.1"));
        Assert.True(r.DefaultWorkload);
        Assert.Equal(0, r.Counters.Single(c => c.Name == "host-dma-transactions").Value);
        Assert.True(r.Counters.Single(c => c.Name == "nic-dma-transactions").Value > 0);
        Assert.DoesNotContain(r.Findings, f => f.Device == "host");
        Assert.Null(r.Devices.Single(d => d.Name == "host").Driver);
    }
}
