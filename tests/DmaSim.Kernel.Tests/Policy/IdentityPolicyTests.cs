using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Tests.Policy;

/// <summary>
/// iommu_should_identity_map per era (linux-semantics §2.2, §2.3, §2.6): profiles × masks × required
/// masks × bus position × bridge kinds.
/// </summary>
public class IdentityPolicyTests
{
    private static readonly ulong _req4G = 0xFFFFFFFF;          // RAM ends at or below 4 GiB
    private static readonly ulong _req8G = DmaMask.Bits(34);    // RAM above 8 GiB (seed: to 9 GiB)
    private static readonly ulong _req16T = DmaMask.Bits(44);   // RAM near 16 TiB

    private static IdentityInputs Pcie(ulong dma, ulong coherent, ulong required, bool identMapAll = true) =>
        new(identMapAll, IsPcie: true, OnRootBus: true, PciFunctionKind.Endpoint, dma, coherent, required, HasRmrr: false, IsUsb: false);

    public static TheoryData<string> Profiles() => [.. ProfileCatalog.All.Select(p => p.Name)];

    private static KernelProfile P(string name) => ProfileCatalog.Find(name)!;

    /// <summary>Runtime rule as the era defines it, written out independently of the model.</summary>
    private static bool ExpectedRuntime(KernelProfile p, ulong dma, ulong coherent, ulong required) => p.Name switch
    {
        // No runtime re-check: 2.6.31 decides at boot for all devices; 6.1's default domain stays.
        // 5.7+ ("Don't force 32bit devices to uses DMA domain"): no runtime move either.
        "linux-2.6.31" or "linux-5.10" or "linux-5.15" or "linux-6.1" or "linux-6.6" or "linux-6.12" => true,
        // 3.0, 4.19 iommu_no_mapping and 5.4 iommu_need_mapping: min(dma_mask, coherent mask) against the required mask.
        "linux-3.0" or "linux-4.19" or "linux-5.4" => Math.Min(dma, coherent == 0 ? dma : coherent) >= required,
        _ => dma > DmaMask.Bits(32),
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Runtime_decision_matches_the_eras_rule_over_masks_and_required_masks(string profile)
    {
        var p = P(profile);
        int[] widths = [24, 31, 32, 33, 34, 36, 40, 44, 48, 64];
        foreach (var dmaBits in widths)
            foreach (var cohBits in widths.Append(0))
                foreach (var req in new[] { _req4G, _req8G, DmaMask.Bits(36), _req16T })
                {
                    var dma = DmaMask.Bits(dmaBits);
                    var coh = cohBits == 0 ? 0 : DmaMask.Bits(cohBits);
                    var v = IdentityPolicy.Decide(p, Pcie(dma, coh, req), startup: false);
                    Assert.True(ExpectedRuntime(p, dma, coh, req) == v.Identity,
                        $"{profile}: dma {dmaBits} coherent {cohBits} required {Hex.Format(req)} → {v.Identity} ({v.Reason})");
                    Assert.False(string.IsNullOrWhiteSpace(v.Source));
                    Assert.False(string.IsNullOrWhiteSpace(v.Reason));
                }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Without_iommu_pt_no_device_is_identity(string profile)
    {
        foreach (var startup in new[] { true, false })
            Assert.False(IdentityPolicy.Decide(P(profile), Pcie(DmaMask.Bits(64), DmaMask.Bits(64), _req4G, identMapAll: false), startup).Identity);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void At_boot_a_root_bus_pcie_device_is_identity_whatever_its_masks(string profile)
    {
        // startup = 1: masks unknown, assume 64-bit (§2.2 rule 5).
        Assert.True(IdentityPolicy.Decide(P(profile), Pcie(DmaMask.Bits(32), DmaMask.Bits(24), _req16T), startup: true).Identity);
    }

    // §2.6 (a): 64-bit dma_mask, 32-bit coherent mask, RAM above 4 GiB.
    [Theory]
    [InlineData("linux-2.6.32-rc5", true)]
    [InlineData("linux-2.6.32-rc5+alex", true)]
    [InlineData("linux-2.6.32-rc5+dwmw2", true)]
    [InlineData("linux-2.6.32", true)]
    [InlineData("linux-2.6.33", true)]
    [InlineData("linux-3.0", false)]
    public void Vector_a_64bit_streaming_32bit_coherent_above_4G(string profile, bool identity)
    {
        var v = IdentityPolicy.Decide(P(profile), Pcie(DmaMask.Bits(64), DmaMask.Bits(32), _req8G), startup: false);
        Assert.Equal(identity, v.Identity);
        if (!identity) Assert.Contains("required mask", v.Reason, StringComparison.Ordinal);
        else Assert.Contains("DMA_BIT_MASK(32)", v.Reason, StringComparison.Ordinal);
    }

    // The mask rules' reasons are worded only when read: the same sentences, with the numbers of that decision.
    [Theory]
    [InlineData("linux-2.6.32", 64, 32, "dma_mask 0xffffffffffffffff > DMA_BIT_MASK(32) (coherent mask and RAM size not consulted)")]
    [InlineData("linux-2.6.32", 32, 64, "dma_mask 0xffffffff ≤ DMA_BIT_MASK(32)")]
    [InlineData("linux-3.0", 64, 40, "min(dma_mask, coherent mask) 0xffffffffff ≥ required mask 0x3ffffffff")]
    [InlineData("linux-3.0", 64, 32, "min(dma_mask, coherent mask) 0xffffffff < required mask 0x3ffffffff")]
    public void Mask_reasons_name_the_masks_compared(string profile, int dmaBits, int coherentBits, string reason)
    {
        var v = IdentityPolicy.Decide(P(profile), Pcie(DmaMask.Bits(dmaBits), DmaMask.Bits(coherentBits), _req8G), startup: false);
        Assert.Equal(reason, v.Reason);
        Assert.Equal(P(profile).RuntimeIdentityCheck.Source, v.Source);
        // A verdict is equal to one that spells out the same sentence.
        Assert.Equal(new IdentityVerdict(v.Identity, reason, v.Source), v);
    }

    // §2.6 (b): 40-bit mask, RAM up to 2^44: T1 identity (bug), T3 translated.
    [Theory]
    [InlineData("linux-2.6.32-rc5", true)]
    [InlineData("linux-2.6.32", true)]
    [InlineData("linux-2.6.33", true)]
    [InlineData("linux-3.0", false)]
    public void Vector_b_40bit_mask_on_a_44bit_machine(string profile, bool identity) =>
        Assert.Equal(identity, IdentityPolicy.Decide(P(profile), Pcie(DmaMask.Bits(40), DmaMask.Bits(40), _req16T), startup: false).Identity);

    // §2.6 (c): 32-bit conventional PCI device behind a PCI-PCI bridge, iommu=pt: never in si_domain after 3dfc813d.
    [Theory]
    [InlineData("linux-2.6.32-rc5", true)]
    [InlineData("linux-2.6.32-rc5+alex", true)]
    [InlineData("linux-2.6.32-rc5+dwmw2", true)]
    [InlineData("linux-2.6.32", false)]
    [InlineData("linux-2.6.33", false)]
    [InlineData("linux-3.0", false)]
    public void Vector_c_conventional_pci_device_behind_a_bridge_at_boot(string profile, bool identity)
    {
        var x = new IdentityInputs(true, IsPcie: false, OnRootBus: false, PciFunctionKind.Endpoint, DmaMask.Bits(32), DmaMask.Bits(32), _req4G, false, false);
        var v = IdentityPolicy.Decide(P(profile), x, startup: true);
        Assert.Equal(identity, v.Identity);
        if (!identity) Assert.Contains("3dfc813d", v.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PciFunctionKind.PciBridge, false)]
    [InlineData(PciFunctionKind.PcieToPciBridge, false)]
    [InlineData(PciFunctionKind.PcieRootPort, true)]
    [InlineData(PciFunctionKind.Endpoint, true)]
    public void Bridge_kinds_after_3dfc813d(PciFunctionKind kind, bool identity)
    {
        foreach (var p in new[] { ProfileCatalog.Linux2632, ProfileCatalog.Linux2633, ProfileCatalog.Linux30 })
        {
            var x = new IdentityInputs(true, IsPcie: true, OnRootBus: true, kind, DmaMask.Bits(64), DmaMask.Bits(64), _req4G, false, false);
            Assert.Equal(identity, IdentityPolicy.Decide(p, x, startup: true).Identity);
        }
        // Before 3dfc813d the bridge kind does not matter.
        var pre = new IdentityInputs(true, IsPcie: true, OnRootBus: true, kind, DmaMask.Bits(64), DmaMask.Bits(64), _req4G, false, false);
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux2632Rc5, pre, startup: true).Identity);
    }

    [Fact]
    public void A_pcie_device_off_the_root_bus_is_still_identity_in_2_6_32()
    {
        // Rule 4 only excludes *conventional* PCI devices off the root bus (a PCIe endpoint behind a root port is fine).
        var x = new IdentityInputs(true, IsPcie: true, OnRootBus: false, PciFunctionKind.Endpoint, DmaMask.Bits(64), DmaMask.Bits(64), _req4G, false, false);
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux2632, x, startup: false).Identity);
    }

    [Fact]
    public void A_conventional_pci_device_on_the_root_bus_may_be_identity_in_2_6_32()
    {
        var x = new IdentityInputs(true, IsPcie: false, OnRootBus: true, PciFunctionKind.Endpoint, DmaMask.Bits(64), DmaMask.Bits(64), _req4G, false, false);
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux2632, x, startup: false).Identity);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Rmrr_ownership_matters_only_where_the_era_says_so(string profile)
    {
        var p = P(profile);
        var plain = Pcie(DmaMask.Bits(64), DmaMask.Bits(64), _req4G);
        var withRmrr = plain with { HasRmrr = true };
        var usb = withRmrr with { IsUsb = true };
        var graphics = withRmrr with { IsGraphics = true };
        var vPlain = IdentityPolicy.Decide(p, plain, startup: true);
        Assert.True(vPlain.Identity);
        Assert.Equal(!p.RmrrDevicesNeverIdentity.Value, IdentityPolicy.Decide(p, withRmrr, startup: true).Identity);
        // device_is_rmrr_locked spares USB controllers and graphics.
        Assert.True(IdentityPolicy.Decide(p, usb, startup: true).Identity);
        Assert.True(IdentityPolicy.Decide(p, graphics, startup: true).Identity);
    }

    [Fact]
    public void Linux_3_0_locks_rmrr_devices_out_of_identity_only_for_releases_from_3_8()
    {
        var withRmrr = Pcie(DmaMask.Bits(64), DmaMask.Bits(64), _req4G) with { HasRmrr = true };
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux30, withRmrr, startup: true, new KernelVersion(3, 0, 0)).Identity);
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux30, withRmrr, startup: true).Identity);
        Assert.False(IdentityPolicy.Decide(ProfileCatalog.Linux30, withRmrr, startup: true, new KernelVersion(3, 13, 0)).Identity);
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux30, withRmrr with { IsUsb = true }, startup: true, new KernelVersion(3, 13, 0)).Identity);
        // Other profiles keep their own rule whatever the release says.
        Assert.True(IdentityPolicy.Decide(ProfileCatalog.Linux2632, withRmrr, startup: true, new KernelVersion(3, 13, 0)).Identity);
    }

    [Fact]
    public void Rmrr_devices_are_kept_out_of_identity_from_3_8_until_5_6()
    {
        // ea2447f700ca (3.8) added the check; 9235cb13d7d1 (5.6) removed it. linux-3.0 predates it.
        Assert.Equal(
            [false, false, true, true, false, false],
            new[] { ProfileCatalog.Linux2632, ProfileCatalog.Linux30, P("linux-4.19"), P("linux-5.4"), P("linux-5.10"), P("linux-6.1") }
                .Select(p => p.RmrrDevicesNeverIdentity.Value));
    }

    [Fact]
    public void The_2_6_32_check_is_strictly_greater_than_32_bits()
    {
        var p = ProfileCatalog.Linux2632;
        Assert.False(IdentityPolicy.Decide(p, Pcie(0xFFFFFFFF, 0xFFFFFFFF, _req4G), false).Identity);
        Assert.True(IdentityPolicy.Decide(p, Pcie(0x1FFFFFFFF, 0xFFFFFFFF, _req16T), false).Identity);
    }

    [Fact]
    public void The_3_0_check_ignores_a_zero_coherent_mask_and_accepts_equality()
    {
        var p = ProfileCatalog.Linux30;
        Assert.True(IdentityPolicy.Decide(p, Pcie(_req8G, 0, _req8G), false).Identity);
        Assert.False(IdentityPolicy.Decide(p, Pcie(DmaMask.Bits(33), 0, _req8G), false).Identity);
        Assert.True(IdentityPolicy.Decide(p, Pcie(DmaMask.Bits(32), DmaMask.Bits(32), _req4G), false).Identity);
    }
}
