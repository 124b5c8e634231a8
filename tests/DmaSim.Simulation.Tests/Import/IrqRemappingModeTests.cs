using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Interrupt remapping's mode lines (intel_prepare_irq_remapping, intel_enable_irq_remapping; 4.19+ profiles): with an
/// x2APIC-capable CPU (`platform: x2apic: true`) and every unit offering ECAP.EIM, x2apic mode and the queued-invalidation
/// line; the table's X2APIC_OPT_OUT flag (`x2apic-opt-out: true`) or a unit without EIM keeps xapic mode, each with its
/// lines. Real logs come back, the import writing the CPU and the flag from their lines.
/// </summary>
public sealed class IrqRemappingModeTests
{
    private static List<string> IrLines(IEnumerable<string> log) =>
        [.. log.Where(l => !l.StartsWith('#')).Select(RealLog.Strip).Where(l => l.StartsWith("DMAR-IR: ", StringComparison.Ordinal) && !l.Contains(" under DRHD base ", StringComparison.Ordinal))];

    [Theory]
    [InlineData("dmesg", "dell-latitude-9420_8A77983183EB_6.2.10-arch1-1.dmesg.txt", "dell-latitude-9420_8A77983183EB.dat", "x2apic mode")]
    [InlineData("dmesg", "dell-precision-t7500_428B8D25DDA9_5.11.22-4-pve.dmesg.txt", null, "xapic mode")]
    [InlineData("dmesg-groups", "lenovo-thinkpad-x1-carbon_5.17.3-arch1-1.dmesg.txt", null, "x2apic mode")]
    [InlineData("dmesg-groups", "hp-pavilion-15-cs3xxx_5.10.0-1-amd64.dmesg.txt", null, "xapic mode")]
    [InlineData("dmesg-rmrr", "dell-poweredge-r750xs_5.4.0-86-generic-iommu-pt.dmesg.txt", null, "x2apic mode")]
    public void A_real_log_gets_its_remapping_mode_lines_back(string folder, string file, string? table, string mode)
    {
        var path = SharedData.Path_(folder, file);
        var want = IrLines(File.ReadLines(path));
        Assert.EndsWith(mode, want[^1], StringComparison.Ordinal);
        Assert.Equal(want, IrLines(RealLog.ImportAndRun(path, table is null ? null : Path.Combine(RealLog.DmarDir, table)).Run.Log));
    }

    /// <summary>
    /// The linux-3.0 profile's releases in their own words: the HP DL380e Gen8's 3.17 log (no prefix, the queued-invalidation
    /// line for an x2APIC CPU although the firmware opts out, the three-line warning) and a 4.8 log in the 4.2+ words, from
    /// the table and from the log alone.
    /// </summary>
    [Theory]
    [InlineData("dmesg", "hp-proliant-dl380e-gen8_CB05571909C8_3.17.4-301.fc21.dmesg.txt", "hp-proliant-dl380e-gen8_CB05571909C8.dat", 9)]
    [InlineData("dmesg-rmrr", "gigabyte-z97n_4.8.0-32-generic.dmesg.txt", null, 5)]
    public void Older_releases_print_their_own_remapping_lines(string folder, string file, string? table, int count)
    {
        var path = SharedData.Path_(folder, file);
        var want = OldIrLines(File.ReadLines(path));
        Assert.Equal(count, want.Count);
        Assert.Equal(want, OldIrLines(RealLog.ImportAndRun(path, null).Run.Log));
        if (table is not null) Assert.Equal(want, OldIrLines(RealLog.ImportAndRun(path, Path.Combine(RealLog.DmarDir, table)).Run.Log));
    }

    private static List<string> OldIrLines(IEnumerable<string> log) =>
        [.. log.Where(l => !l.StartsWith('#')).Select(RealLog.Strip).Select(l => l.Replace("DMAR-IR: ", "", StringComparison.Ordinal))
            .Where(l => l.Contains(" under DRHD base ", StringComparison.Ordinal) || l.StartsWith("Queued invalidation will", StringComparison.Ordinal)
                || l.Contains("x2apic be disabled", StringComparison.Ordinal) || l.Contains("x2apic opt out bit", StringComparison.Ordinal)
                || l.StartsWith("This will slightly", StringComparison.Ordinal) || l.StartsWith("Use 'intremap=no_x2apic_optout' to override", StringComparison.Ordinal)
                || l.StartsWith("Enabled IRQ remapping", StringComparison.Ordinal))];

    [Theory]
    [InlineData("3.17.4", "Queued invalidation will be enabled to support x2apic and Intr-remapping.|Your BIOS is broken and requested that x2apic be disabled.|This will slightly decrease performance.|Use 'intremap=no_x2apic_optout' to override BIOS request.|Enabled IRQ remapping in xapic mode")]
    [InlineData("4.0.5", "Your BIOS is broken and requested that x2apic be disabled.|This will slightly decrease performance.|Use 'intremap=no_x2apic_optout' to override BIOS request.|Enabled IRQ remapping in xapic mode")]
    [InlineData("4.1.19", "x2apic is disabled because BIOS sets x2apic opt out bit. You can use 'intremap=no_x2apic_optout' to override the BIOS setting.|Enabled IRQ remapping in xapic mode")]
    [InlineData("4.8.0", "DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.|DMAR-IR: Use 'intremap=no_x2apic_optout' to override the BIOS setting.|DMAR-IR: Enabled IRQ remapping in xapic mode")]
    [InlineData("3.13.11", "")]
    public void Each_release_words_the_firmware_s_opt_out_its_own_way(string release, string lines)
    {
        var log = Boot(x2apic: true, optOut: true, profile: "linux-3.0", version: release);
        Assert.Equal(lines.Length == 0 ? [] : lines.Split('|'), log);
    }

    // ECAP of a Tiger Lake unit (f050da: QI, IR, EIM) and the same without EIM (bit 4).
    private const string WithEim = "cap: d2008c40660462, ecap: f050da";
    private const string NoEim = "cap: d2008c40660462, ecap: f050ca";

    private static List<string> Boot(bool x2apic, string cmdline = "intel_iommu=on", bool optOut = false, string gfxUnit = WithEim, string profile = "linux-6.1", string? version = null, string? faults = null)
    {
        var b = new ScenarioBuilder("ir-mode", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw($"{{ base: 0xfed90000, devices: [\"00:02.0\"], {gfxUnit} }}", 39)
            .UnitRaw($"{{ base: 0xfed91000, include-pci-all: true, ioapic: [2], {WithEim} }}")
            .Device("00:02.0", "gpu", "scripted", 39, extra: "class: 0x030000")
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel(profile, cmdline, version);
        if (optOut) b.IommuKey("x2apic-opt-out", "true");
        if (faults is not null) b.FirmwareFaults(faults);
        var yaml = b.Yaml();
        if (x2apic) yaml = yaml.Replace("  physical-address-bits:", "  x2apic: true\n  physical-address-bits:", StringComparison.Ordinal);
        var s = DmaSim.Scenarios.ScenarioLoader.Parse(yaml, "ir-mode.yaml");
        return AllIrLines(SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline).Events.LogLines());
    }

    // Every line interrupt remapping prints after the parse, in any release's words.
    private static List<string> AllIrLines(IEnumerable<string> log) =>
        [.. log.Select(RealLog.Strip).Where(l => (l.StartsWith("DMAR-IR: ", StringComparison.Ordinal) || OldIrLines([l]).Count > 0 || IsErrorLine(l))
            && !l.Contains(" under DRHD base ", StringComparison.Ordinal))];

    private static bool IsErrorLine(string l) =>
        l.Contains("EIM not supported by DRHD", StringComparison.Ordinal) || l.StartsWith("Failed to enable irq remapping", StringComparison.Ordinal);

    private const string Qi = "DMAR-IR: Queued invalidation will be enabled to support x2apic and Intr-remapping.";
    private const string X2 = "DMAR-IR: Enabled IRQ remapping in x2apic mode";
    private const string X = "DMAR-IR: Enabled IRQ remapping in xapic mode";
    private const string OptOut1 = "DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.";
    private const string OptOut2 = "DMAR-IR: Use 'intremap=no_x2apic_optout' to override the BIOS setting.";

    [Fact]
    public void An_x2apic_cpu_with_eim_everywhere_remaps_in_x2apic_mode() => Assert.Equal([Qi, X2], Boot(x2apic: true));

    [Fact]
    public void A_cpu_without_x2apic_remaps_in_xapic_mode() => Assert.Equal([X], Boot(x2apic: false));

    [Fact]
    public void Nox2apic_clears_the_feature() => Assert.Equal([X], Boot(x2apic: true, "intel_iommu=on nox2apic"));

    [Fact]
    public void The_firmware_s_opt_out_keeps_xapic_mode_unless_overridden()
    {
        Assert.Equal([OptOut1, OptOut2, X], Boot(x2apic: true, optOut: true));
        Assert.Equal([Qi, X2], Boot(x2apic: true, "intel_iommu=on intremap=no_x2apic_optout", optOut: true));
        Assert.Equal([X], Boot(x2apic: false, optOut: true));
    }

    [Fact]
    public void The_first_unit_without_eim_in_list_order_is_named() =>
        Assert.Equal(["DMAR-IR: dmar0 does not support EIM", X], Boot(x2apic: true, gfxUnit: NoEim));

    [Fact]
    public void On_3_14_to_3_19_a_unit_without_eim_is_an_error_and_remapping_stays_off() =>
        Assert.Equal(["Queued invalidation will be enabled to support x2apic and Intr-remapping.",
            "DRHD fed90000: EIM not supported by DRHD,  ecap f050ca",
            "Failed to enable irq remapping.  You are vulnerable to irq-injection attacks."],
            Boot(x2apic: true, gfxUnit: NoEim, profile: "linux-3.0", version: "3.17.4"));

    [Fact]
    public void A_unit_that_does_not_answer_stops_remapping_before_its_lines() =>
        Assert.Empty(Boot(x2apic: true, faults: "[drhd-registers-all-ones]"));

    [Fact]
    public void A_unit_without_interrupt_remapping_leaves_it_off() =>
        Assert.Empty(Boot(x2apic: true, gfxUnit: "cap: d2008c40660462, ecap: f050d2"));

    [Theory]
    [InlineData("linux-6.1", "intel_iommu=on intremap=off")]
    [InlineData("linux-2.6.32", "intel_iommu=on")]
    public void No_mode_lines_without_remapping_or_before_4_19(string profile, string cmdline) =>
        Assert.Empty(Boot(x2apic: true, cmdline, profile: profile));

    [Fact]
    public void A_bad_flag_is_an_error_at_its_place()
    {
        var yaml = new ScenarioBuilder("bad").Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .Device("00:19.0", "nic", "scripted", 64).Kernel("linux-6.1", "").Yaml()
            .Replace("  physical-address-bits:", "  x2apic: maybe\n  physical-address-bits:", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => DmaSim.Scenarios.ScenarioLoader.Parse(yaml, "bad.yaml"));
        Assert.StartsWith("bad.yaml:4:11: error: x2apic must be true", e.Message, StringComparison.Ordinal);
    }
}
