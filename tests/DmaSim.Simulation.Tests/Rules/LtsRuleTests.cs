using DmaSim.Kernel.Iommu;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>Issue 16: one check per decision the LTS profiles (4.19 → 6.12) change, each failing without its rule.</summary>
public class LtsRuleTests
{
    private static ScenarioBuilder Machine(string cmdline, Func<ScenarioBuilder, ScenarioBuilder>? devices = null, bool passThrough = true,
        string? unit = null, string? config = null, string? dmarTable = null)
    {
        var b = new ScenarioBuilder("lts", seed: 1)
            .Usable(0, 0x9ffff).Usable(0x100000, 0x7effffff).Reserved(0x7f000000, 0x7f00ffff).Usable(0x7f010000, 0xbfffffff)
            .Reserved(0xc0000000, 0xffffffff).Usable(0x100000000, 0x23fffffff)
            .Device("00:1d.0", "usb", "usb-controller", addressBits: 32, pcie: false)
            .Kernel("linux-6.1", cmdline);
        if (dmarTable is not null) b.DmarTable(dmarTable);
        else b.Unit(passThrough, extra: unit);
        if (config is not null) b.KernelConfig(config);
        return devices?.Invoke(b) ?? b;
    }

    private static Scenario Parse(ScenarioBuilder scenario) => scenario.Build(Path.Combine(SharedData.RepoRoot, "lts.yaml"));

    private static SimMachine Boot(ScenarioBuilder scenario, KernelProfile p)
    {
        var s = Parse(scenario);
        return SimMachine.Boot(s, p, s.Kernel.Cmdline);
    }

    private static List<string> Log(SimMachine m) => [.. m.Events.LogLines()];

    [Fact]
    public void The_invalidation_policy_line_arrives_with_5_14_and_no_default_domain_line_before_5_3()
    {
        Assert.DoesNotContain(Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux419)), l => l.StartsWith("iommu: Default domain type", StringComparison.Ordinal));
        var l510 = Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux510));
        Assert.Contains("iommu: Default domain type: Translated ", l510);
        Assert.DoesNotContain(l510, l => l.Contains("TLB invalidation policy", StringComparison.Ordinal));
        Assert.Contains("iommu: DMA domain TLB invalidation policy: lazy mode ", Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux515)));
    }

    [Fact]
    public void The_builds_default_domain_choice_reaches_the_intel_driver_from_5_4_and_strict_from_5_15()
    {
        const string pt = "{ iommu-default-dma: passthrough }";
        const string strict = "{ iommu-default-dma: strict }";
        // CONFIG_IOMMU_DEFAULT_PASSTHROUGH: identity without iommu=pt, and the type line has no "(set via …)".
        var m61 = Boot(Machine("intel_iommu=on", config: pt), ProfileCatalog.Linux61);
        Assert.Contains("iommu: Default domain type: Passthrough ", Log(m61));
        Assert.NotEqual(DmaSim.Core.DeviceDomain.Translated, m61.Kernel.Device("usb").Domain);
        Assert.NotEqual(DmaSim.Core.DeviceDomain.Translated, Boot(Machine("intel_iommu=on", config: pt), ProfileCatalog.Linux54).Kernel.Device("usb").Domain);
        // iommu=nopt overrides the build; 4.19's Intel driver follows iommu=pt only.
        Assert.Contains("iommu: Default domain type: Translated (set via kernel command line)", Log(Boot(Machine("intel_iommu=on iommu=nopt", config: pt), ProfileCatalog.Linux61)));
        Assert.Equal(DmaSim.Core.DeviceDomain.Translated, Boot(Machine("intel_iommu=on", config: pt), ProfileCatalog.Linux419).Kernel.Device("usb").Domain);
        // CONFIG_IOMMU_DEFAULT_DMA_STRICT: 5.15 on; before, no such option; iommu.strict=0 overrides it.
        Assert.Contains("iommu: DMA domain TLB invalidation policy: strict mode ", Log(Boot(Machine("intel_iommu=on", config: strict), ProfileCatalog.Linux515)));
        Assert.Contains("iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)", Log(Boot(Machine("intel_iommu=on iommu.strict=0", config: strict), ProfileCatalog.Linux61)));
        Assert.True(Boot(Machine("intel_iommu=on", config: strict), ProfileCatalog.Linux61).Kernel.Iommu!.Strict);
        Assert.False(Boot(Machine("intel_iommu=on", config: strict), ProfileCatalog.Linux510).Kernel.Iommu!.Strict);
    }

    [Fact]
    public void From_5_4_an_untrusted_devices_partial_page_is_bounced_and_the_rest_of_its_page_reads_zero()
    {
        var secret = Enumerable.Range(0, 4096).Select(i => (byte)(i | 1)).ToArray(); // no zero byte anywhere
        (byte[] Seen, bool Bounced, byte[] Back) Run(KernelProfile p)
        {
            var m = Boot(Machine("intel_iommu=on", Below), p);
            var k = m.Kernel.K;
            var dev = m.Kernel.Device("ext");
            var page = k.Pages.AllocPages(0, DmaSim.Kernel.Mm.Gfp.Kernel, new DmaSim.Hardware.Memory.FrameOwner(DmaSim.Hardware.Memory.OwnerKind.KernelBuffer, "ext", "buf"))!.Value.Start;
            m.Memory.Write(page, secret);
            // 256 bytes at 0x100 of a page whose other bytes belong to someone else.
            var map = dev.Ops!.MapPage(dev, page.Add(0x100), 256, DmaSim.Kernel.Dma.DmaDirection.Bidirectional);
            Assert.True(map.Ok, map.Error);
            var leaf = m.Kernel.Iommu!.DomainOf(dev)!.Table!.Lookup(map.Address.Pfn);
            var seen = new byte[4096];
            m.Memory.Read(DmaSim.Core.PhysAddr.FromPfn(leaf.PhysPfn), seen);
            var bounced = k.Swiotlb?.IsBounceAddress(DmaSim.Core.PhysAddr.FromPfn(leaf.PhysPfn)) == true;
            // The device writes its 256 bytes; the unmap must bring them back to the buffer.
            m.Memory.Fill(DmaSim.Core.PhysAddr.FromPfn(leaf.PhysPfn).Add(map.Address.Value & 0xfff), 256, 0xEE);
            dev.Ops.UnmapPage(dev, map.Address, 256, DmaSim.Kernel.Dma.DmaDirection.Bidirectional);
            var back = new byte[4096];
            m.Memory.Read(page, back);
            return (seen, bounced, back);
        }
        // dma-iommu (6.1) and the Intel driver's bounce_dma_ops (5.4, 5.10) make the same slot.
        foreach (var p in new[] { ProfileCatalog.Linux61, ProfileCatalog.Linux510, ProfileCatalog.Linux54 })
        {
            var (seen, bounced, back) = Run(p);
            Assert.True(bounced, p.Name);
            Assert.Equal(secret.AsSpan(0x100, 256).ToArray(), seen.AsSpan(0, 256).ToArray());
            Assert.All(seen.AsSpan(256).ToArray(), b => Assert.Equal(0, b)); // padding cleared: nothing else leaks
            Assert.All(back.AsSpan(0x100, 256).ToArray(), b => Assert.Equal(0xEE, b));
            Assert.Equal(secret.AsSpan(0x200).ToArray(), back.AsSpan(0x200).ToArray());
        }
        // 4.19 has no bounce pages: the device sees the whole page.
        var (seen419, bounced419, _) = Run(ProfileCatalog.Linux419);
        Assert.False(bounced419);
        Assert.Equal(secret, seen419);
        // 5.4 – 5.7 announce the bounce ops per device; 5.8 sets them silently.
        Assert.Contains("pci 0000:20:00.0: DMAR: Use Intel IOMMU bounce page dma_ops", Log(Boot(Machine("intel_iommu=on", Below), ProfileCatalog.Linux54)));
        Assert.DoesNotContain(Log(Boot(Machine("intel_iommu=on", Below), ProfileCatalog.Linux510)), l => l.Contains("bounce page", StringComparison.Ordinal));
    }

    private static ScenarioBuilder Below(ScenarioBuilder b) => b
        .Device("00:07.0", "tbt", "pcie-root-port", secondaryBus: 0x20, extra: "external-facing: true")
        .Device("20:00.0", "ext", "scripted", addressBits: 64);

    private static DmaSim.Kernel.Dma.DmaMapping MapOnePage(SimMachine m, string device)
    {
        var dev = m.Kernel.Device(device);
        var page = m.Kernel.K.Pages.AllocPages(0, DmaSim.Kernel.Mm.Gfp.Kernel, new DmaSim.Hardware.Memory.FrameOwner(DmaSim.Hardware.Memory.OwnerKind.KernelBuffer, device, "buf"))!.Value.Start;
        var map = dev.Ops!.MapPage(dev, page, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        Assert.True(map.Ok, map.Error);
        return map;
    }

    [Theory]
    [InlineData("linux-5.4")]
    [InlineData("linux-5.10")]
    [InlineData("linux-6.1")]
    public void From_5_4_an_untrusted_devices_unmaps_invalidate_at_once_while_its_neighbours_wait_in_the_flush_queue(string profile)
    {
        var m = Boot(Machine("intel_iommu=on", Below), ProfileCatalog.Find(profile)!);
        var iommu = m.Kernel.Iommu!;
        Assert.False(iommu.Strict);
        var ext = m.Kernel.Device("ext");
        var usb = m.Kernel.Device("usb");
        var e = MapOnePage(m, "ext");
        ext.Ops!.UnmapPage(ext, e.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        Assert.Equal(0, iommu.Unmaps.Pending);
        var u = MapOnePage(m, "usb");
        usb.Ops!.UnmapPage(usb, u.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        Assert.Equal(1, iommu.Unmaps.Pending);
        // And the report says so per device.
        var r = ScenarioRunner.Run(Parse(Machine("intel_iommu=on", Below)), ProfileCatalog.Find(profile)!);
        Assert.Equal("strict", r.Devices.Single(d => d.Name == "ext").Flush);
        Assert.Equal("lazy", r.Devices.Single(d => d.Name == "usb").Flush);
        // 4.19 knows no untrusted devices: both wait.
        var m419 = Boot(Machine("intel_iommu=on", Below), ProfileCatalog.Linux419);
        var e419 = MapOnePage(m419, "ext");
        m419.Kernel.Device("ext").Ops!.UnmapPage(m419.Kernel.Device("ext"), e419.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
        Assert.Equal(1, m419.Kernel.Iommu!.Unmaps.Pending);
    }

    [Fact]
    public void From_4_14_intel_dma_ops_unmap_the_size_they_are_given_and_queue_255_IOVAs()
    {
        // A driver that maps two pages and unmaps one: 3.0 clears the whole recorded IOVA range; 4.19's
        // intel_unmap clears aligned_nrpages(dev_addr, size) pages, so the second page stays mapped.
        bool SecondPageStillMapped(KernelProfile p)
        {
            var m = Boot(Machine("intel_iommu=on,strict"), p);
            var dev = m.Kernel.Device("usb");
            var page = m.Kernel.K.Pages.AllocPages(1, DmaSim.Kernel.Mm.Gfp.Kernel, new DmaSim.Hardware.Memory.FrameOwner(DmaSim.Hardware.Memory.OwnerKind.KernelBuffer, "usb", "buf"))!.Value.Start;
            var map = dev.Ops!.MapPage(dev, page, 8192, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
            Assert.True(map.Ok, map.Error);
            dev.Ops.UnmapPage(dev, map.Address, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
            return m.Kernel.Iommu!.DomainOf(dev)!.Table!.Lookup(map.Address.Pfn + 1).Present;
        }
        Assert.False(SecondPageStillMapped(ProfileCatalog.Linux30));
        Assert.True(SecondPageStillMapped(ProfileCatalog.Linux419));
        // The flush queue of iova.c (4.14+): a 256-slot ring, full at 255; 2.6.3x – 3.x: HIGH_WATER_MARK 250.
        Assert.Equal(255, Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux419).Kernel.Iommu!.Unmaps.HighWaterMark);
        Assert.Equal(250, Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux30).Kernel.Iommu!.Unmaps.HighWaterMark);
    }

    [Fact]
    public void From_6_12_a_unit_without_pass_through_gives_its_devices_strict_DMA_domains_even_under_iommu_pt()
    {
        // 6.6: hw_pass_through cleared, software si_domain with 1:1 tables.
        var r66 = ScenarioRunner.Run(Parse(Machine("intel_iommu=on iommu=pt", passThrough: false)), ProfileCatalog.Linux66);
        Assert.Equal(DmaSim.Core.DeviceDomain.Identity, r66.Devices.Single().Domain);
        // 6.12: device_def_domain_type asks DMA; the requested type is allocated strict although the default is lazy.
        var r612 = ScenarioRunner.Run(Parse(Machine("intel_iommu=on iommu=pt", passThrough: false)), ProfileCatalog.Linux612);
        Assert.Equal(DmaSim.Core.DeviceDomain.Translated, r612.Devices.Single().Domain);
        Assert.Equal("strict", r612.Devices.Single().Flush);
        // With ECAP.PT both pass through.
        var pt612 = ScenarioRunner.Run(Parse(Machine("intel_iommu=on iommu=pt")), ProfileCatalog.Linux612);
        Assert.Equal(DmaSim.Core.DeviceDomain.PassThrough, pt612.Devices.Single().Domain);
    }

    [Fact]
    public void From_6_5_the_policy_lines_lose_their_trailing_space()
    {
        var l61 = Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux61));
        Assert.Contains("iommu: Default domain type: Translated ", l61);
        Assert.Contains("iommu: DMA domain TLB invalidation policy: lazy mode ", l61);
        var l66 = Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux66));
        Assert.Contains("iommu: Default domain type: Translated", l66);
        Assert.Contains("iommu: DMA domain TLB invalidation policy: lazy mode", l66);
        Assert.Contains("iommu: Default domain type: Passthrough (set via kernel command line)", Log(Boot(Machine("intel_iommu=on iommu=pt"), ProfileCatalog.Linux612)));
    }

    [Fact]
    public void From_5_15_a_unit_in_caching_mode_makes_DMA_domains_strict()
    {
        var m515 = Boot(Machine("intel_iommu=on", unit: "caching-mode: true"), ProfileCatalog.Linux515);
        Assert.True(m515.Kernel.Iommu!.Strict);
        Assert.Contains("DMAR: IOMMU batching disallowed due to virtualization", Log(m515));
        Assert.False(Boot(Machine("intel_iommu=on", unit: "caching-mode: true"), ProfileCatalog.Linux510).Kernel.Iommu!.Strict);
    }

    [Fact]
    public void Translated_devices_use_intel_dma_ops_until_5_11_and_dma_iommu_after()
    {
        Assert.IsType<IntelDmaOps>(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux510).Kernel.Device("usb").Ops);
        Assert.IsType<DmaIommuOps>(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux515).Kernel.Device("usb").Ops);
    }

    [Fact]
    public void The_5_4_pool_is_freed_once_VT_d_is_on_and_kept_from_5_7()
    {
        Assert.Null(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux54).Kernel.K.Swiotlb);
        Assert.NotNull(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux510).Kernel.K.Swiotlb);
    }

    [Fact]
    public void A_5_4_device_that_wants_DMA_in_an_identity_group_of_two_gets_a_private_domain()
    {
        // 00:1d.1, a PCIe-to-PCI bridge in the USB controller's slot, shares its group; device_def_domain_type
        // wants DMA for it, but request_default_domain_for_dev refuses a group of two.
        static ScenarioBuilder WithBridge(ScenarioBuilder b) => b.Device("00:1d.1", "bridge", "pcie-to-pci-bridge", secondaryBus: 5);
        var log54 = Log(Boot(Machine("intel_iommu=on iommu=pt", WithBridge), ProfileCatalog.Linux54));
        Assert.Contains("pci 0000:00:1d.1: DMAR: Device uses a private dma domain.", log54);
        Assert.DoesNotContain(Log(Boot(Machine("intel_iommu=on iommu=pt", WithBridge), ProfileCatalog.Linux510)), l => l.Contains("private", StringComparison.Ordinal));
    }

    private static ScenarioBuilder OptInMachine(string cmdline, bool external) => Machine(cmdline,
        b => b.Device("00:07.0", "tbt", "pcie-root-port", secondaryBus: 0x20, extra: external ? "external-facing: true" : null),
        config: "{ intel-iommu-default-on: false }",
        dmarTable: Path.Combine(SharedData.DataDir, "dmar", "dell-latitude-9420_8A77983183EB.dat"));

    [Fact]
    public void Platform_opt_in_forces_VT_d_on_with_identity_for_trusted_devices()
    {
        // 5.4: IDENTMAP_ALL, so the Intel driver asks for identity per device ("Using iommu direct mapping").
        var m54 = Boot(OptInMachine("", external: true), ProfileCatalog.Linux54);
        var log54 = Log(m54);
        Assert.Contains("DMAR: Intel-IOMMU force enabled due to platform opt in", log54);
        Assert.Contains("pci 0000:00:1d.0: Using iommu direct mapping", log54);
        Assert.NotEqual(DmaSim.Core.DeviceDomain.Translated, m54.Kernel.Device("usb").Domain);
        // 6.6: iommu_set_default_passthrough: identity default domains, no per-device request.
        var m66 = Boot(OptInMachine("", external: true), ProfileCatalog.Linux66);
        Assert.Contains("DMAR: Intel-IOMMU force enabled due to platform opt in", Log(m66));
        Assert.DoesNotContain(Log(m66), l => l.Contains("Using iommu direct mapping", StringComparison.Ordinal));
        Assert.NotEqual(DmaSim.Core.DeviceDomain.Translated, m66.Kernel.Device("usb").Domain);
        // 4.19 has no opt-in: the kernel built with VT-d off leaves it off.
        Assert.Null(Boot(OptInMachine("", external: true), ProfileCatalog.Linux419).Kernel.Iommu);
        // No external-facing port, or intel_iommu=off (no_platform_optin): no forcing.
        Assert.Null(Boot(OptInMachine("", external: false), ProfileCatalog.Linux66).Kernel.Iommu);
        Assert.Null(Boot(OptInMachine("intel_iommu=off", external: true), ProfileCatalog.Linux66).Kernel.Iommu);
    }

    [Fact]
    public void An_unversioned_4_19_run_prints_the_4_x_DMAR_wording()
    {
        var log = Log(Boot(Machine("intel_iommu=on"), ProfileCatalog.Linux419));
        Assert.Contains("DMAR: Host address width 40", log);
        Assert.Contains(log, l => l.StartsWith("DMAR: dmar0: reg_base_addr fed90000", StringComparison.Ordinal));
        Assert.Contains("DMAR: dmar0: Using Queued invalidation", log);
    }

    [Fact]
    public void From_6_4_the_SAC_trick_gives_up_after_the_first_failure_and_says_so()
    {
        // 1100 live 4 MiB mappings need more than the 4 GiB of IOVA space below DMA_BIT_MASK(32).
        var s = Parse(Machine("intel_iommu=on", b => b.Device("03:00.0", "nic", "scripted", addressBits: 64))
            .Driver("nic", dmaMaskBits: 64, coherentDmaMaskBits: 64)
            .Workload(
                "{ op: alloc-buffer, size: 4MiB, as: big }",
                "{ device: nic, op: map, buffer: big, size: 4MiB, direction: to-device, as: m, repeat: 1100 }"));
        var r66 = ScenarioRunner.Run(s, ProfileCatalog.Linux66);
        var l66 = r66.Log.Concat(r66.Findings.Select(f => f.Message)).Concat(r66.Devices.Select(d => d.Name + " " + d.Outcome + " " + d.DmaOps)).ToList();
        Assert.True(l66.Count(l => l.EndsWith("pci 0000:03:00.0: Using 48-bit DMA addresses", StringComparison.Ordinal)) == 1, string.Join("\n", l66.TakeLast(15)));
        Assert.DoesNotContain(ScenarioRunner.Run(s, ProfileCatalog.Linux61).Log, l => l.Contains("-bit DMA addresses", StringComparison.Ordinal));
    }
    [Theory]
    [InlineData("linux-6.6", true, 0)]
    [InlineData("linux-6.12", true, 0)]
    [InlineData("linux-6.6", false, 44)]
    [InlineData("linux-6.1", true, 44)]
    public void From_6_6_a_build_with_swiotlb_dynamic_grows_the_bounce_pool_instead_of_failing_maps(string profile, bool dynamic, int failures)
    {
        // 300 live page bounces through a 1 MiB pool (swiotlb=512: 256 pages) for a 32-bit device on dma-direct.
        var m = Boot(Machine("intel_iommu=off swiotlb=512", config: dynamic ? "{ swiotlb-dynamic: true }" : null), ProfileCatalog.Find(profile)!);
        var dev = m.Kernel.Device("usb");
        var owner = new DmaSim.Hardware.Memory.FrameOwner(DmaSim.Hardware.Memory.OwnerKind.KernelBuffer, "usb", "buf");
        var failed = 0;
        for (var i = 0; i < 300; i++)
        {
            var page = m.Kernel.K.Pages.AllocPages(0, DmaSim.Kernel.Mm.Gfp.Kernel, owner)!.Value.Start;
            Assert.True(page.Value >= 1UL << 32, "the buffer must need bouncing");
            var map = dev.Ops!.MapPage(dev, page, 4096, DmaSim.Kernel.Dma.DmaDirection.ToDevice);
            if (!map.Ok) failed++;
            else Assert.True(map.Address.AsIdentity().Value < 1UL << 32, $"{map.Address}");
        }
        Assert.Equal(failures, failed);
        Assert.Equal(dynamic && failures == 0, m.Kernel.K.Swiotlb!.AddedPools > 0);
    }
}
