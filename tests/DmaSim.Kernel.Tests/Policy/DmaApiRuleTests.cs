using System.Reflection;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using static DmaSim.Kernel.Tests.Policy.KernelRig;

namespace DmaSim.Kernel.Tests.Policy;

/// <summary>dma_get_required_mask (§4), the x86 2.6.32 coherent front end, dma_generic_alloc_coherent (§3.4), nommu, dma_supported.</summary>
public class DmaApiRuleTests
{
    [Theory]
    [InlineData(0x100000UL, 0xFFFFFFFFUL)]           // RAM ends exactly at 4 GiB
    [InlineData(0x100001UL, 0x1FFFFFFFFUL)]          // 4 GiB + 1 page → 33 bits
    [InlineData(1UL << 32, (1UL << 44) - 1)]         // 16 TiB → 2^44 − 1
    [InlineData(0xC0000UL, 0xFFFFFFFFUL)]            // RAM to 3 GiB: smallest 2^k−1 ≥ 0xbffff000
    [InlineData(0x240000UL, 0x3FFFFFFFFUL)]          // seed: RAM to 9 GiB → 34 bits
    [InlineData(0x1000000UL, 0xFFFFFFFFFUL)]         // 64 GiB → 2^36 − 1
    [InlineData(0x1000001UL, 0x1FFFFFFFFFUL)]        // one page more → 37 bits
    public void Required_mask_examples(ulong maxPfn, ulong mask) =>
        Assert.Equal(mask, KernelContext.RequiredMaskForMaxPfn(maxPfn));

    [Theory]
    [InlineData(4UL, 0xFFFFFFFFUL)]
    [InlineData(9UL, 0x3FFFFFFFFUL)]
    [InlineData(64UL, 0xFFFFFFFFFUL)]
    public void A_booted_kernel_reports_the_required_mask_of_its_e820(ulong ramEndGiB, ulong mask)
    {
        var e820 = ramEndGiB == 4 ? [Usable(0x0, 0x9ffff), Usable(0x100000, 0xffffffff)] : Layout(ramEndGiB * GiB);
        var k = BootKernel(ProfileCatalog.Linux2632, "", e820);
        Assert.Equal(mask, k.K.RequiredMask(null));
        Assert.Equal(mask, k.Dma.GetRequiredMask(k.Dev()));
    }

    private static KernelDevice DeviceWithCoherentMask(ulong coherent) =>
        new("d", new PciFunction(new Bdf(1, 0, 0), "d", PciFunctionKind.Endpoint, true)) { CoherentDmaMask = coherent };

    [Theory]
    [InlineData(24, Gfp.Dma)]
    [InlineData(20, Gfp.Dma)]
    [InlineData(25, Gfp.Dma32)]
    [InlineData(31, Gfp.Dma32)]
    [InlineData(32, Gfp.Dma32)]
    [InlineData(33, Gfp.Kernel)]
    [InlineData(36, Gfp.Kernel)]
    [InlineData(64, Gfp.Kernel)]
    public void Front_end_zone_flags_follow_the_coherent_mask(int bits, Gfp expected) =>
        Assert.Equal(expected, DmaApi.FrontEndZoneFlags(DeviceWithCoherentMask(DmaMask.Bits(bits)), Gfp.Kernel));

    [Fact]
    public void Coherent_mask_zero_means_32_bits_or_24_with_gfp_dma()
    {
        var dev = DeviceWithCoherentMask(0);
        Assert.Equal(DmaMask.Bits(32), DmaApi.CoherentAllocMask(dev, Gfp.Kernel));
        Assert.Equal(DmaMask.Bits(24), DmaApi.CoherentAllocMask(dev, Gfp.Dma));
        Assert.Equal(Gfp.Dma32, DmaApi.FrontEndZoneFlags(dev, Gfp.Kernel));
        Assert.Equal(Gfp.Dma, DmaApi.FrontEndZoneFlags(dev, Gfp.Dma));
    }

    /// <summary>DMA zone RAM plus a single DMA32 page that ends exactly at <paramref name="lastByte"/>.</summary>
    private static E820Entry[] DmaZonePlusOnePageEndingAt(ulong lastByte) =>
        [Usable(0x1000, 0xFFFFFF), Usable(lastByte - 0xFFF, lastByte)];

    [Fact]
    public void Generic_alloc_coherent_is_one_byte_stricter_and_retries_from_gfp_dma_below_32_bits()
    {
        // The only DMA32 page ends exactly at the 25-bit mask: modern code would accept it (end ≤ mask),
        // dma_generic_alloc_coherent tests phys + size > mask, rejects it and retries from ZONE_DMA.
        var mask = DmaMask.Bits(25);
        var k = BootKernel(ProfileCatalog.Linux2632, "", DmaZonePlusOnePageEndingAt(mask));
        var dev = k.Dev();
        Assert.Equal("nommu_dma_ops", dev.Ops!.Name);
        Assert.Equal(0, k.Dma.SetCoherentMask(dev, mask));
        var b = CoherentAllocators.GenericAllocCoherent(k.K, dev, 0x1000, Gfp.Dma32);
        Assert.NotNull(b);
        Assert.Equal(ZoneType.Dma, k.K.Pages.ZoneOf(b.Value.Cpu));
        Assert.Equal(b.Value.Cpu.Value, b.Value.Dma.Value);
        // The first attempt did get the page at the top of the mask (it is the only DMA32 page).
        var allocs = k.K.Events.Events.OfType<PageAllocEvent>().ToList();
        Assert.Contains(allocs, a => a.Start.Value == mask - 0xFFF && a.Zone == ZoneType.Dma32);
    }

    [Fact]
    public void Modern_direct_alloc_accepts_the_page_ending_exactly_at_the_mask()
    {
        var mask = DmaMask.Bits(25);
        var k = BootKernel(ProfileCatalog.Linux61, "", DmaZonePlusOnePageEndingAt(mask));
        var dev = k.Dev();
        dev.CoherentDmaMask = mask;
        var b = CoherentAllocators.DirectAlloc(k.K, dev, 0x1000, Gfp.Kernel);
        Assert.NotNull(b);
        Assert.Equal(mask - 0xFFF, b.Value.Cpu.Value);
    }

    [Fact]
    public void Generic_alloc_coherent_fails_without_retry_for_a_32_bit_mask()
    {
        var k = BootKernel(ProfileCatalog.Linux2632, "", DmaZonePlusOnePageEndingAt(0xFFFFFFFF));
        var dev = k.Dev();
        Assert.Equal(DmaMask.Bits(32), dev.CoherentDmaMask);
        Assert.Null(CoherentAllocators.GenericAllocCoherent(k.K, dev, 0x1000, Gfp.Dma32));
        // No GFP_DMA retry: every page allocation attempt after boot was a DMA32 one.
        var last = k.K.Events.Events.OfType<PageAllocEvent>().Last();
        Assert.Equal(ZoneType.Dma32, last.Zone);
    }

    [Fact]
    public void Dma_alloc_coherent_front_end_plus_nommu_puts_a_32bit_device_below_4G()
    {
        var k = BootKernel(ProfileCatalog.Linux2632, "", [Usable(0x1000, 0x9ffff), Usable(0x100000, 0xffffffff)]);
        var b = k.Dma.AllocCoherent(k.Dev(), 0x4000);
        Assert.NotNull(b);
        Assert.True(b.Value.Cpu.Value + 0x4000 <= 0xFFFFFFFF);
        var ev = k.K.Events.Events.OfType<DmaApiEvent>().Last(e => e.Call == "dma_alloc_coherent");
        Assert.Contains("GFP_DMA32", ev.Detail, StringComparison.Ordinal);
        Assert.Contains("ZONE_DMA32", ev.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Nommu_map_overflow_fails_with_the_2_6_32_message()
    {
        var k = BootKernel(ProfileCatalog.Linux2632, "", [Usable(0x1000, 0x9ffff), Usable(0x100000, 0xffffffff)]);
        var dev = k.Dev();
        Assert.Equal("nommu_dma_ops", dev.Ops!.Name);
        var m = k.Dma.Map(dev, new PhysAddr(0xFFFFF000), 0x1000, DmaDirection.ToDevice);
        Assert.False(m.Ok);
        const string msg = "nommu_map_single: overflow fffff000+4096 of device mask ffffffff";
        Assert.Equal(msg, m.Error);
        Assert.Contains(k.K.Events.LogLines(), l => l.Contains(msg, StringComparison.Ordinal));
        // One page lower fits (addr + size ≤ mask... is the era's test: 0xffffe000 + 0x1000 ≤ 0xffffffff).
        Assert.True(k.Dma.Map(dev, new PhysAddr(0xFFFFE000), 0x1000, DmaDirection.ToDevice).Ok);
    }

    [Fact]
    public void Nommu_overflow_of_a_small_mask_fails_silently()
    {
        var k = BootKernel(ProfileCatalog.Linux2632, "", [Usable(0x1000, 0x9ffff), Usable(0x100000, 0xffffffff)]);
        var dev = k.Dev();
        Assert.Equal(0, k.Dma.SetMask(dev, DmaMask.Bits(24)));
        var before = k.K.Events.LogLines().Count();
        Assert.False(k.Dma.Map(dev, new PhysAddr(0x2000000), 0x1000, DmaDirection.FromDevice).Ok);
        Assert.Equal(before, k.K.Events.LogLines().Count());
    }

    [Theory]
    [InlineData("linux-2.6.31")]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-3.0")]
    public void Dma_supported_2_6_3x_refuses_masks_below_24_bits(string profile)
    {
        var k = BootKernel(ProfileCatalog.Find(profile)!, "", [Usable(0x1000, 0x9ffff), Usable(0x100000, 0x7fffff)]);
        var dev = k.Dev();
        Assert.False(k.Dma.Supported(dev, DmaMask.Bits(23)));
        Assert.True(k.Dma.Supported(dev, DmaMask.Bits(24)));
        Assert.Equal(-5, k.Dma.SetMask(dev, DmaMask.Bits(23)));
        Assert.Equal(DmaMask.Bits(32), dev.DmaMask);
    }

    [Fact]
    public void Dma_supported_modern_direct_accepts_a_small_mask_covering_all_of_a_small_ram()
    {
        // dma_direct_supported: mask ≥ min(top of RAM, 16 MiB − 1). RAM to 8 MiB: a 23-bit mask covers it.
        var k = BootKernel(ProfileCatalog.Linux61, "", [Usable(0x1000, 0x9ffff), Usable(0x100000, 0x7fffff)]);
        var dev = k.Dev();
        Assert.True(k.Dma.Supported(dev, DmaMask.Bits(23)));
        Assert.False(k.Dma.Supported(dev, DmaMask.Bits(22)));
        var big = BootKernel(ProfileCatalog.Linux61, "", Layout(8 * GiB));
        Assert.False(big.Dma.Supported(big.Dev(), DmaMask.Bits(23)));
        Assert.True(big.Dma.Supported(big.Dev(), DmaMask.Bits(24)));
        Assert.True(big.Dma.Supported(big.Dev(), DmaMask.Bits(32)));
    }
}

public class KernelCmdlineTests
{
    [Fact]
    public void Intel_iommu_options_are_comma_separated()
    {
        var c = KernelCmdline.Parse("intel_iommu=on,strict");
        Assert.True(c.IntelIommuOn);
        Assert.True(c.Strict);
        Assert.Empty(c.Unrecognised);
    }

    /// <summary>sp_off and tboot_noforce are options the model takes in full (no superpages, no tboot): not listed as ignored.</summary>
    [Fact]
    public void Sp_off_and_tboot_noforce_are_not_ignored_options()
    {
        var c = KernelCmdline.Parse("intel_iommu=on,sp_off,tboot_noforce");
        Assert.Empty(c.Unrecognised);
        Assert.Equal(["on", "sp_off", "tboot_noforce"], c.IntelIommuOptions.Select(o => o.Name));
    }

    [Fact]
    public void Iommu_pt_and_iommu_passthrough_1_both_mean_pass_through()
    {
        Assert.True(KernelCmdline.Parse("iommu=pt").PassThrough);
        Assert.True(KernelCmdline.Parse("iommu.passthrough=1").PassThrough);
        var off = KernelCmdline.Parse("iommu.passthrough=0");
        Assert.False(off.PassThrough);
        Assert.True(off.NoPassThrough);
        Assert.False(KernelCmdline.Parse("intel_iommu=on").PassThrough);
    }

    [Fact]
    public void Swiotlb_force_and_slab_count()
    {
        var c = KernelCmdline.Parse("swiotlb=65536,force");
        Assert.True(c.SwiotlbForce);
        Assert.Equal(65536UL, c.SwiotlbSlabs);
        Assert.True(KernelCmdline.Parse("swiotlb=force").SwiotlbForce);
        Assert.Null(KernelCmdline.Parse("swiotlb=force").SwiotlbSlabs);
    }

    [Fact]
    public void Unknown_options_are_kept_not_dropped()
    {
        var c = KernelCmdline.Parse("quiet intel_iommu=on,frobnicate iommu=pt,wibble root=/dev/sda1");
        Assert.True(c.IntelIommuOn);
        Assert.True(c.PassThrough);
        Assert.Contains("quiet", c.Unrecognised);
        Assert.Contains("root=/dev/sda1", c.Unrecognised);
        Assert.Contains(c.Unrecognised, u => u.Contains("frobnicate", StringComparison.Ordinal));
        Assert.Contains(c.Unrecognised, u => u.Contains("wibble", StringComparison.Ordinal));
        Assert.Equal("quiet intel_iommu=on,frobnicate iommu=pt,wibble root=/dev/sda1", c.Text);
    }

    /// <summary>intel_iommu_setup's loop: prefix matches, the rest of the value kept for the notice, commas skipped; a bare intel_iommu is not its parameter.</summary>
    [Fact]
    public void Intel_iommu_options_are_taken_as_intel_iommu_setup_meets_them()
    {
        Assert.Equal([new IntelIommuOption(null, ",on,,strictly,"), new IntelIommuOption("on", "on,,strictly,"), new IntelIommuOption("strict", "strictly,")],
            KernelCmdline.Parse("intel_iommu=,on,,strictly,").IntelIommuOptions);
        Assert.True(KernelCmdline.Parse("intel_iommu=onward").IntelIommuOn);
        var bare = KernelCmdline.Parse("intel_iommu");
        Assert.Empty(bare.IntelIommuOptions);
        Assert.Null(bare.IntelIommuOn);
        Assert.Contains("intel_iommu", bare.Unrecognised);
    }

    [Fact]
    public void Off_soft_and_empty()
    {
        Assert.False(KernelCmdline.Parse("intel_iommu=off").IntelIommuOn);
        Assert.True(KernelCmdline.Parse("iommu=off").NoIommu);
        Assert.True(KernelCmdline.Parse("iommu=soft").SwiotlbOnly);
        var empty = KernelCmdline.Parse(null);
        Assert.Null(empty.IntelIommuOn);
        Assert.False(empty.PassThrough);
        Assert.Empty(empty.Unrecognised);
    }
}

public class ProfileCatalogTests
{
    [Fact]
    public void The_contract_profiles_and_the_2_6_32_stable_profile_in_order()
    {
        Assert.Equal(
            ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2", "linux-2.6.32", "linux-2.6.32.7", "linux-2.6.33", "linux-3.0",
         "linux-4.19", "linux-5.4", "linux-5.10", "linux-5.15", "linux-6.1", "linux-6.6", "linux-6.12"],
            ProfileCatalog.All.Select(p => p.Name));
        foreach (var p in ProfileCatalog.All) Assert.Same(p, ProfileCatalog.Find(p.Name));
        Assert.Null(ProfileCatalog.Find("nosuch"));
    }

    [Fact]
    public void The_catalog_follows_the_one_name_list_in_Core()
    {
        Assert.Equal(ProfileNames.All, ProfileCatalog.All.Select(p => p.Name));
        Assert.Equal(ProfileNames.All.Length, ProfileNames.All.Distinct().Count());
        Assert.False(ProfileNames.IsKnown("linux-2.6.32-RC5"));
    }

    [Fact]
    public void Each_profile_is_one_file_under_Profiles_named_after_its_class()
    {
        var dir = Path.Combine(DmaSim.Testing.SharedData.RepoRoot, "src", "DmaSim.Kernel", "Profiles");
        var definitions = typeof(KernelProfile).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributes().Any(a => a.GetType().Name == "ProfileDefinitionAttribute")).ToList();
        Assert.Equal(ProfileNames.All.Length, definitions.Count);
        foreach (var t in definitions)
        {
            var file = Path.Combine(dir, t.Name + ".cs");
            Assert.True(File.Exists(file), $"{t.Name} is not in {file}");
            Assert.Single(File.ReadAllLines(file), l => l.Trim() == "[ProfileDefinition]");
            // The catalog lists the classes by name (no reflection, for Native AOT): this one must be among them.
            var profile = (KernelProfile)t.GetProperty("Profile", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            Assert.Contains(ProfileCatalog.All, p => ReferenceEquals(p, profile));
        }
    }

    private static IEnumerable<PropertyInfo> RuleProperties() =>
        typeof(KernelProfile).GetProperties().Where(pi => pi.PropertyType.IsGenericType && pi.PropertyType.GetGenericTypeDefinition() == typeof(Rule<>));

    [Fact]
    public void Every_rule_of_every_profile_has_a_source()
    {
        foreach (var p in ProfileCatalog.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Summary));
            foreach (var pi in RuleProperties())
            {
                var rule = pi.GetValue(p);
                Assert.NotNull(rule);
                var source = (string)pi.PropertyType.GetProperty("Source")!.GetValue(rule)!;
                Assert.False(string.IsNullOrWhiteSpace(source), $"{p.Name}.{pi.Name} has no source");
            }
            foreach (var (name, _, source) in p.Rules()) Assert.False(string.IsNullOrWhiteSpace(source), $"{p.Name}.{name}");
        }
    }

    [Fact]
    public void Rules_lists_every_rule_property()
    {
        foreach (var p in ProfileCatalog.All)
            Assert.Equal(RuleProperties().Select(pi => pi.Name).Order(), p.Rules().Select(r => r.Name).Order());
        // ProfileMix (bisect) walks rules in Rules()' order, which must be the declaration order it used to sort by.
        var declared = RuleProperties().OrderBy(pi => pi.MetadataToken).Select(pi => pi.Name).ToList();
        Assert.Equal(declared, ProfileCatalog.Linux2631.Rules().Select(r => r.Name));
        Assert.Equal(declared, ProfileMix.RuleNames);
    }

    [Fact]
    public void The_profiles_differ_where_the_history_says()
    {
        Assert.Equal(PassThroughOps.Swiotlb, ProfileCatalog.Linux2631.PassThroughDmaOps.Value);
        Assert.Equal(IdentityCoherentAlloc.ClearZoneFlags, ProfileCatalog.Linux2632Rc5.IdentityCoherentAlloc.Value);
        Assert.Equal(IdentityCoherentAlloc.OrDmaAndDma32, ProfileCatalog.Linux2632Rc5Alex.IdentityCoherentAlloc.Value);
        Assert.Equal(IdentityCoherentAlloc.GenericAllocCoherent, ProfileCatalog.Linux2632Rc5Dwmw2.IdentityCoherentAlloc.Value);
        Assert.Equal(IdentityCoherentAlloc.ZoneFromRequiredMask, ProfileCatalog.Linux2632.IdentityCoherentAlloc.Value);
        Assert.Equal(InitFailureFallback.Nommu, ProfileCatalog.Linux2632.InitFailureFallback.Value);
        Assert.Equal(InitFailureFallback.Swiotlb, ProfileCatalog.Linux2633.InitFailureFallback.Value);
        Assert.Equal(IdentityCheck.MinMaskCoversRequiredMask, ProfileCatalog.Linux30.RuntimeIdentityCheck.Value);
        Assert.Equal(CoherentIovaLimit.CoherentMask, ProfileCatalog.Linux30.CoherentIovaLimit.Value);
        Assert.Equal(PassThroughOps.DmaDirect, ProfileCatalog.Linux61.PassThroughDmaOps.Value);
        Assert.False(ProfileCatalog.Linux2632Rc5.BridgedDevicesNeverIdentity.Value);
        Assert.True(ProfileCatalog.Linux2632.BridgedDevicesNeverIdentity.Value);
        Assert.Equal(IdentityMapping.PassThroughContextsOnly, ProfileCatalog.Linux2631.IdentityMapping.Value);
        Assert.Equal(IdentityMapping.StaticIdentityDomain, ProfileCatalog.Linux2632Rc5.IdentityMapping.Value);
        Assert.False(ProfileCatalog.Linux2632.IommuReleasesSwiotlb.Value);
        Assert.True(ProfileCatalog.Linux2633.IommuReleasesSwiotlb.Value);
        Assert.Equal(BootSequence.InitDmars, ProfileCatalog.Linux30.BootSequence.Value);
        Assert.Equal(BootSequence.DefaultDomains, ProfileCatalog.Linux61.BootSequence.Value);
        Assert.Equal(DmaApiFrontEnd.X86Legacy, ProfileCatalog.Linux30.DmaApiFrontEnd.Value);
        Assert.Equal(DmaApiFrontEnd.Generic, ProfileCatalog.Linux61.DmaApiFrontEnd.Value);
        Assert.Equal(FlushQueue.PerDomainFlushQueue, ProfileCatalog.Linux61.FlushQueue.Value);
        Assert.True(ProfileCatalog.Linux2632.SwiotlbForceDisablesVtd.Value);
        Assert.False(ProfileCatalog.Linux2633.SwiotlbForceDisablesVtd.Value);
        Assert.Equal(DrhdSanityCheck.AtProbe, ProfileCatalog.Linux2632Stable.DrhdSanityCheck.Value);
        Assert.Equal(DrhdSanityCheck.ZeroAndAllOnesAtParse, ProfileCatalog.Linux2632.DrhdSanityCheck.Value);
        Assert.False(ProfileCatalog.Linux61.SwiotlbForceDisablesVtd.Value);
    }
}
