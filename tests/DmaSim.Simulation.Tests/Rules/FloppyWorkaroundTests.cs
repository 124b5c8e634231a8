using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>
/// iommu_prepare_isa, the floppy workaround of init_dmars (2.6.31 – 5.2): after the RMRR maps, the first ISA
/// bridge (class exactly 0x060100) gets 0–16 MiB identity-mapped, announced as "Prepare 0-16MiB unity mapping
/// for LPC"; from 5.3 a reserved region replaces it and nothing is printed. Two RMRRs in table order show the
/// kernel's list order (reverse). The ISA bridges carry `class:`; so does a device that is no ISA bridge
/// (prog-if 01), which pci_get_class's exact match skips.
/// </summary>
public sealed class FloppyWorkaroundTests
{
    private static ScenarioBuilder Machine(string profile, string cmdline) =>
        new ScenarioBuilder("floppy-wa").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, include-pci-all: true, pass-through: true }", 39)
            .Rmrr(0x7e000000, 0x7e0fffff, "ehci").Rmrr(0x7f000000, 0x7f00ffff, "ehci")
            .Device("00:1d.0", "ehci", "scripted", 32, extra: "class: 0x0c0320")
            .Device("00:1e.0", "not-isa", "scripted", 32, extra: "class: 0x060101")
            .Device("00:1f.0", "lpc", "scripted", 32, extra: "class: 0x060100")
            .Device("00:1f.3", "second-isa", "scripted", 32, extra: "class: 0x060100")
            .Kernel(profile, cmdline);

    private static List<string> SetupLines(string profile, string cmdline = "intel_iommu=on")
    {
        var r = ScenarioRunner.Run(Machine(profile, cmdline).Build("floppy-wa.yaml"), ProfileCatalog.Find(profile)!);
        return [.. r.Log.Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..])
            .Where(l => l.Contains("RMRR:", StringComparison.Ordinal) || l.Contains("identity map ", StringComparison.Ordinal) || l.Contains("LPC", StringComparison.Ordinal))];
    }

    [Fact]
    public void From_3_0_the_rmrrs_come_in_reverse_table_order_then_the_first_isa_bridge_gets_0_to_16_mib_inclusive()
    {
        Assert.Equal(
        [
            "DMAR: Setting RMRR:",
            "DMAR: Setting identity map for device 0000:00:1d.0 [0x7f000000 - 0x7f00ffff]",
            "DMAR: Setting identity map for device 0000:00:1d.0 [0x7e000000 - 0x7e0fffff]",
            "DMAR: Prepare 0-16MiB unity mapping for LPC",
            "DMAR: Setting identity map for device 0000:00:1f.0 [0x0 - 0xffffff]",
        ], SetupLines(ProfileNames.Linux419));
        Assert.Equal("IOMMU: Setting identity map for device 0000:00:1f.0 [0x0 - 0xffffff]", SetupLines(ProfileNames.Linux30)[^1]);
    }

    [Fact]
    public void In_2_6_32_the_lines_say_iommu_and_the_end_is_one_past_the_range()
    {
        var lines = SetupLines(ProfileNames.Linux2632);
        Assert.Equal("IOMMU: Prepare 0-16MiB unity mapping for LPC", lines[^2]);
        Assert.Equal("IOMMU: Setting identity map for device 0000:00:1f.0 [0x0 - 0x1000000]", lines[^1]);
        Assert.Equal("IOMMU: Setting identity map for device 0000:00:1d.0 [0x7f000000 - 0x7f010000]", lines[^4]);
    }

    [Fact]
    public void The_isa_bridge_is_translated_and_its_low_16_mib_reach_memory_as_themselves()
    {
        var r = ScenarioRunner.Run(Machine(ProfileNames.Linux419, "intel_iommu=on").Build("floppy-wa.yaml"), ProfileCatalog.Find(ProfileNames.Linux419)!);
        Assert.Equal(DeviceDomain.Translated, r.Devices.Single(d => d.Name == "lpc").Domain);
        Assert.DoesNotContain(r.Log, l => l.Contains("0000:00:1f.3", StringComparison.Ordinal) && l.Contains("identity map", StringComparison.Ordinal));
    }

    [Fact]
    public void With_2_6_31_pass_through_and_from_5_4_nothing_is_printed_for_the_isa_bridge()
    {
        Assert.DoesNotContain(SetupLines(ProfileNames.Linux2631, "intel_iommu=on iommu=pt"), l => l.Contains("LPC", StringComparison.Ordinal));
        Assert.Contains("IOMMU: Prepare 0-16MiB unity mapping for LPC", SetupLines(ProfileNames.Linux2631));
        Assert.Empty(SetupLines(ProfileNames.Linux54));
        Assert.Empty(SetupLines(ProfileNames.Linux61));
    }

    [Fact]
    public void Under_hardware_pass_through_the_maps_of_identity_devices_are_ignored_in_the_eras_wording()
    {
        // The USB controller keeps identity despite its RMRRs (device_is_rmrr_locked spares USB), and so does the ISA bridge.
        Assert.Equal(
        [
            "DMAR: Setting RMRR:",
            "DMAR: Ignoring identity map for HW passthrough device 0000:00:1d.0 [0x7f000000 - 0x7f00ffff]",
            "DMAR: Ignoring identity map for HW passthrough device 0000:00:1d.0 [0x7e000000 - 0x7e0fffff]",
            "DMAR: Prepare 0-16MiB unity mapping for LPC",
            "DMAR: Ignoring identity map for HW passthrough device 0000:00:1f.0 [0x0 - 0xffffff]",
        ], SetupLines(ProfileNames.Linux419, "intel_iommu=on iommu=pt"));
        Assert.Equal("Ignoring identity map for HW passthrough device 0000:00:1f.0 [0x0 - 0xffffff]", SetupLines(ProfileNames.Linux30, "intel_iommu=on iommu=pt")[^1]);
        Assert.Equal("Ignoring identity map for HW passthrough device 0000:00:1f.0 [0x0 - 0x1000000]", SetupLines(ProfileNames.Linux2632, "intel_iommu=on iommu=pt")[^1]);
    }

    [Fact]
    public void The_static_identity_line_follows_the_4_1_cleanup()
    {
        static List<string> Lines(string profile) => [.. ScenarioRunner.Run(Machine(profile, "intel_iommu=on iommu=pt").Build("floppy-wa.yaml"), ProfileCatalog.Find(profile)!).Log
            .Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..]).Where(l => l.Contains("identity mapping for device", StringComparison.Ordinal))];
        Assert.Contains("DMAR: Hardware identity mapping for device 0000:00:1f.0", Lines(ProfileNames.Linux419));
        Assert.Contains("IOMMU: hardware identity mapping for device 0000:00:1f.0", Lines(ProfileNames.Linux30));
    }
}
