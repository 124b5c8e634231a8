using DmaSim.Kernel.Profiles;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// intel_iommu_init's own lines, from the option parse to the groups, against real logs imported without their table:
/// "IOMMU enabled", "No RMRR/ATSR/SATC found", the capability audit, each unit's invalidation line, the VT-d banner,
/// 4.x's "iommu: Adding device … to group N" and the graphics quirk's "Skip IOMMU disabling for graphics".
/// </summary>
public sealed class InitLineTests
{
    private static readonly System.Text.RegularExpressions.Regex _initLine = new(
        @"DMAR: No |IOMMU feature|Queued invalidation|Register based invalidation|Virtualization Technology|IOMMU enabled|Intel-IOMMU: enabled|to group [0-9]|Skip IOMMU disabling");

    private static List<string> InitLines(IEnumerable<string> log) =>
        [.. log.Where(l => !l.StartsWith('#')).Select(RealLog.Strip).Where(l => !l.StartsWith("DMAR-IR:", StringComparison.Ordinal) && _initLine.IsMatch(l)).Select(l => l.TrimEnd())];

    /// <summary>
    /// Whole logs (no cut in these lines; interrupt remapping's lines are checked in IrqRemappingModeTests). Not here: the R750xs (two of
    /// its five units have no device present, so the kernel ignores them and prints no invalidation line for them; an
    /// import cannot tell), the DL360 G6 and DL388p (excerpts without some devices or lines) and the Latitude 9420
    /// (no pci-id line for its graphics, so no quirk line).
    /// </summary>
    [Theory]
    [InlineData("dmesg-rmrr", "gigabyte-z97n_4.8.0-32-generic.dmesg.txt", 25)]
    [InlineData("dmesg", "dell-precision-t7500_428B8D25DDA9_5.11.22-4-pve.dmesg.txt", 4)]
    [InlineData("dmesg", "hp-z400_FF7C21B8CB39_5.4.0-4-amd64-debian.dmesg.txt", 2)]
    [InlineData("dmesg-groups", "hp-pavilion-15-cs3xxx_5.10.0-1-amd64.dmesg.txt", 5)]
    [InlineData("dmesg-groups", "lenovo-thinkpad-x1-carbon_5.17.3-arch1-1.dmesg.txt", 14)]
    public void An_imported_machine_prints_the_init_lines_its_log_has(string folder, string file, int count)
    {
        var path = SharedData.Path_(folder, file);
        var want = InitLines(File.ReadLines(path));
        Assert.Equal(count, want.Count);
        var (_, run) = RealLog.ImportAndRun(path, null);
        Assert.Equal(want, InitLines(run.Log));
    }

    private static ScenarioBuilder Machine(string profile, string version, string cmdline = "intel_iommu=on", string gpu = "8086:9a49") =>
        new ScenarioBuilder("init-lines").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"] }", 39).UnitRaw("{ base: 0xfed91000, include-pci-all: true }")
            .Device("00:02.0", "gpu", "scripted", 39, extra: $"class: 0x030000, pci-id: \"{gpu}\"")
            .Device("00:14.0", "xhci", "scripted", 64, extra: "class: 0x0c0330")
            .Kernel(profile, cmdline, version);

    private static List<string> Log(ScenarioBuilder machine, string profile) =>
        [.. ScenarioRunner.Run(machine.Build(), ProfileCatalog.Find(profile)!).Log.Select(RealLog.Strip)];

    private static List<string> Log(string profile, string version, string cmdline = "intel_iommu=on") => Log(Machine(profile, version, cmdline), profile);

    [Fact]
    public void Inline_extras_print_their_parse_lines_and_silence_the_none_found_lines()
    {
        var machine = Machine("linux-6.1", "6.1.0").IommuList("atsr", "{ all-ports: true }").IommuList("rhsa", "{ base: 0xfed91000, proximity-domain: 1 }")
            .IommuList("andd", "{ device: 1, name: \"\\\\_SB.PCI0.I2C0\" }").IommuList("satc", "{ atc-required: true }");
        var log = Log(machine, "linux-6.1");
        var parse = log.SkipWhile(l => !l.StartsWith("DMAR: Host address width", StringComparison.Ordinal)).Skip(5).Take(4).ToList();
        Assert.Equal(["DMAR: ATSR flags: 0x1", "DMAR: RHSA base: 0x000000fed91000 proximity domain: 0x1", "DMAR: ANDD device: 1 name: \\_SB.PCI0.I2C0", "DMAR: SATC flags: 0x1"], parse);
        Assert.Equal(["DMAR: No RMRR found"], log.Where(l => l.StartsWith("DMAR: No ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("linux-6.1", "6.1.0", "DMAR: No RMRR found|DMAR: No ATSR found|DMAR: No SATC found", true)]
    [InlineData("linux-5.10", "5.10.0", "DMAR: No RMRR found|DMAR: No ATSR found", true)]
    [InlineData("linux-5.4", "5.4.0", "DMAR: No RMRR found|DMAR: No ATSR found", false)]
    [InlineData("linux-3.0", "3.0.1", "DMAR: No RMRR found|DMAR: No ATSR found", false)]
    public void Each_release_reports_the_missing_lists_and_quirks_its_graphics(string profile, string version, string none, bool quirk)
    {
        var log = Log(profile, version);
        Assert.Equal(none.Split('|'), log.Where(l => l.StartsWith("DMAR: No ", StringComparison.Ordinal)));
        Assert.Equal(quirk, log.Contains("pci 0000:00:02.0: DMAR: Skip IOMMU disabling for graphics"));
    }

    /// <summary>
    /// register_pasid_allocator (5.8 – 6.3) warns for a unit in caching mode without scalable mode: QEMU's caching-mode unit
    /// (cap d2008c22260286, ecap f00f4a: no SMTS), or one with SMTS (ecap bit 43) before 5.15 made scalable mode the default.
    /// </summary>
    [Theory]
    [InlineData("linux-6.1", "6.1.0", "f00f4a", true)]
    [InlineData("linux-6.1", "6.4.0", "f00f4a", false)]
    [InlineData("linux-5.4", "5.7.0", "f00f4a", false)]
    [InlineData("linux-5.4", "5.8.0", "f00f4a", true)]
    [InlineData("linux-5.15", "5.15.0", "80000f00f4a", false)]
    [InlineData("linux-5.10", "5.10.0", "80000f00f4a", true)]
    public void A_virtual_unit_without_scalable_mode_gets_no_pasid_allocator(string profile, string version, string ecap, bool warns)
    {
        var machine = new ScenarioBuilder("pasid").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw($"{{ base: 0xfed90000, include-pci-all: true, cap: d2008c22260286, ecap: {ecap} }}", 39)
            .Device("00:19.0", "nic", "scripted", 64).Kernel(profile, "intel_iommu=on", version);
        var log = Log(machine, profile);
        Assert.Equal(warns, log.Contains("DMAR: VT-d Scalable Mode not enabled, no PASID allocation"));
        if (warns) Assert.Equal(log.FindIndex(l => l.EndsWith("Using Queued invalidation", StringComparison.Ordinal)) + 1, log.IndexOf("DMAR: VT-d Scalable Mode not enabled, no PASID allocation"));
    }

    /// <summary>
    /// intel_iommu=sm_on (5.0+) and sm_off (5.15+) print their line where intel_iommu_setup meets them and set
    /// intel_iommu_sm, the last one winning; a release that does not know an option ignores it silently. Scalable mode
    /// still needs ECAP.SMTS, so sm_on on QEMU's unit (no SMTS) leaves the PASID warning.
    /// </summary>
    [Theory]
    [InlineData("linux-5.10", "5.10.0", "80000f00f4a", "sm_on", "DMAR: Intel-IOMMU: scalable mode supported", false)]
    [InlineData("linux-5.10", "5.10.0", "80000f00f4a", "sm_on,sm_off", "DMAR: Intel-IOMMU: scalable mode supported", false)]
    [InlineData("linux-5.10", "5.10.0", "80000f00f4a", "sm_off", "", true)]
    [InlineData("linux-6.1", "6.1.0", "80000f00f4a", "sm_off", "DMAR: Scalable mode is disallowed", true)]
    [InlineData("linux-6.1", "6.1.0", "80000f00f4a", "sm_off,sm_on", "DMAR: Scalable mode is disallowed|DMAR: Enable scalable mode if hardware supports", false)]
    [InlineData("linux-6.1", "6.1.0", "f00f4a", "sm_on", "DMAR: Enable scalable mode if hardware supports", true)]
    [InlineData("linux-4.19", "4.19.0", "80000f00f4a", "sm_on", "", false)]
    public void Scalable_mode_options_print_their_line_and_decide_the_pasid_warning(string profile, string version, string ecap, string options, string lines, bool warns)
    {
        var machine = new ScenarioBuilder("sm").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw($"{{ base: 0xfed90000, include-pci-all: true, cap: d2008c22260286, ecap: {ecap} }}", 39)
            .Device("00:19.0", "nic", "scripted", 64).Kernel(profile, $"intel_iommu=on,{options}", version);
        var log = Log(machine, profile);
        string[] scalable = ["DMAR: Intel-IOMMU: scalable mode supported", "DMAR: Enable scalable mode if hardware supports", "DMAR: Scalable mode is disallowed"];
        Assert.Equal(lines.Split('|', StringSplitOptions.RemoveEmptyEntries), log.Where(scalable.Contains));
        Assert.Equal(warns, log.Contains("DMAR: VT-d Scalable Mode not enabled, no PASID allocation"));
    }

    /// <summary>
    /// intel_iommu_setup matches each option by its prefix and, from 5.16 (5.15.5 in the stable series), notices one it
    /// does not know with the rest of the parameter from there on; earlier releases skip it silently. An option the
    /// kernel knows (sp_off, 3.0+: its own line) is no unknown option, and a prefix match acts as its option ("strictly" is strict).
    /// </summary>
    [Theory]
    [InlineData("linux-6.1", "6.1.0", "intel_iommu=on,foo,,strict", "DMAR: IOMMU enabled|DMAR: Unknown option - 'foo,,strict'|DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead")]
    [InlineData("linux-6.12", "6.12.0", "intel_iommu=on,sp_off,bar", "DMAR: IOMMU enabled|DMAR: Disable supported super page|DMAR: Unknown option - 'bar'")]
    [InlineData("linux-3.0", null, "intel_iommu=on,sp_off", "Intel-IOMMU: enabled|Intel-IOMMU: disable supported super page")]
    [InlineData("linux-2.6.32", null, "intel_iommu=on,sp_off", "Intel-IOMMU: enabled")]
    [InlineData("linux-3.0", "3.18.5", "intel_iommu=on,sp_off", "Intel-IOMMU: enabled|Intel-IOMMU: disable supported super page")]
    [InlineData("linux-2.6.32", "2.6.32.60", "intel_iommu=on,sp_off", "Intel-IOMMU: enabled")]
    [InlineData("linux-5.15", "5.15.5", "intel_iommu=on,foo", "DMAR: IOMMU enabled|DMAR: Unknown option - 'foo'")]
    [InlineData("linux-5.15", "5.15.4", "intel_iommu=on,foo", "DMAR: IOMMU enabled")]
    [InlineData("linux-5.10", "5.10.0", "intel_iommu=onward,foo", "DMAR: IOMMU enabled")]
    [InlineData("linux-6.1", "6.1.0", "intel_iommu=on,strictly", "DMAR: IOMMU enabled|DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead")]
    // tboot_noforce (4.12+): a literal "Intel-IOMMU: " printk to 5.7, pr_info under "DMAR: " from 5.8; unknown before 4.12.
    [InlineData("linux-6.1", null, "intel_iommu=on,tboot_noforce,baz", "DMAR: IOMMU enabled|DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot|DMAR: Unknown option - 'baz'")]
    [InlineData("linux-5.10", "5.8.0", "intel_iommu=tboot_noforce,on", "DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot|DMAR: IOMMU enabled")]
    [InlineData("linux-5.4", "5.7.19", "intel_iommu=on,tboot_noforce", "DMAR: IOMMU enabled|Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot")]
    [InlineData("linux-4.19", "4.12.0", "intel_iommu=on,tboot_noforce", "DMAR: IOMMU enabled|Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot")]
    [InlineData("linux-3.0", "4.11.12", "intel_iommu=on,tboot_noforce", "DMAR: IOMMU enabled")]
    [InlineData("linux-3.0", null, "intel_iommu=on,tboot_noforce", "Intel-IOMMU: enabled")]
    [InlineData("linux-3.0", "4.14.0", "intel_iommu=on,tboot_noforcefoo", "DMAR: IOMMU enabled|Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot")]
    public void Intel_iommu_options_match_by_prefix_and_unknown_ones_are_noticed_from_5_16(string profile, string? version, string cmdline, string lines)
    {
        var machine = new ScenarioBuilder("opts").PhysicalAddressBits(39).Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, include-pci-all: true, cap: d2008c22260286, ecap: f00f4a }", 39)
            .Device("00:19.0", "nic", "scripted", 64).Kernel(profile, cmdline, version);
        var log = Log(machine, profile);
        Assert.Equal(lines.Split('|'), log.Where(l => l is "DMAR: IOMMU enabled" or "Intel-IOMMU: enabled" || l.Contains("able supported super page", StringComparison.Ordinal) || l.StartsWith("DMAR: Unknown option", StringComparison.Ordinal)
            || l.StartsWith("DMAR: intel_iommu=strict", StringComparison.Ordinal) || l == "DMAR: Disable batched IOTLB flush"
            || l.Contains("not forcing on after tboot", StringComparison.Ordinal)));
    }

    /// <summary>Meteor Lake graphics (8086:7dxx) joined the quirk's list in 6.7 (85b80fdffa86); Raptor Lake-S (a7xx) in 5.19.</summary>
    [Theory]
    [InlineData("linux-6.12", "6.12.0", "8086:7d55", true)]
    [InlineData("linux-6.6", "6.7.5", "8086:7d55", true)]
    [InlineData("linux-6.6", "6.6.0", "8086:7d55", false)]
    [InlineData("linux-6.1", "6.1.0", "8086:a780", true)]
    [InlineData("linux-5.15", "5.18.0", "8086:a780", false)]
    [InlineData("linux-6.12", "6.12.0", "8086:5917", false)]
    public void The_graphics_quirk_knows_the_chips_of_its_release(string profile, string version, string gpu, bool quirk) =>
        Assert.Equal(quirk, Log(Machine(profile, version, gpu: gpu), profile).Contains("pci 0000:00:02.0: DMAR: Skip IOMMU disabling for graphics"));

    [Fact]
    public void Up_to_3_1_the_none_found_lines_follow_the_parse_even_with_vt_d_off()
    {
        var log = Log("linux-3.0", "3.0.1", "intel_iommu=off");
        var at = log.IndexOf("DMAR: No RMRR found");
        // Right after the parse: the last unit's line, then the two lists' lines.
        Assert.True(at > 0);
        Assert.StartsWith("IOMMU fed91000: ver ", log[at - 1], StringComparison.Ordinal);
        Assert.Equal("DMAR: No ATSR found", log[at + 1]);
        Assert.Contains("Intel-IOMMU: disabled", log);
        Assert.DoesNotContain(log, l => l.Contains("Virtualization Technology", StringComparison.Ordinal));
    }

    [Fact]
    public void From_3_2_they_print_only_when_remapping_starts()
    {
        var log = Log("linux-3.0", "3.10.0", "intel_iommu=off");
        Assert.DoesNotContain(log, l => l.Contains("No RMRR found", StringComparison.Ordinal));
    }
}
