using DmaSim.Core;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using static DmaSim.Simulation.Tests.Import.TopologyImportTests;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Shapes real boot logs come in (found by importing logs posted to the kernel's mailing lists): the prefixes
/// of journalctl, dmesg -T, dmesg -x, console records and CONFIG_PRINTK_CALLER; e820 lines a mailer cut;
/// PCIe switches whose upstream port prints no pcieport line; the device type newer kernels print; root
/// buses other than 00; and iommu groups that show ACS.
/// </summary>
/// <remarks>
/// Input data, not source text: the log lines are in the shape the kernel prints at boot, with addresses,
/// ids, group numbers and timestamps made up for each topology.
/// </remarks>
public sealed class LogShapeImportTests
{
    private const string Head =
        "[    0.000000] Linux version 6.1.0-13-amd64 #1 SMP Debian\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable\n" +
        "[    0.020000] DMAR: Host address width 39\n" +
        "[    0.020001] DMAR: DRHD base: 0x000000fed90000 flags: 0x1\n" +
        "[    0.020002] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f02076\n";

    private static string Yaml(string log) => ScenarioImporter.Import(new ImportOptions(Temp(log), null, null));

    private static ImportResult WithWarnings(string log) => ScenarioImporter.ImportWithWarnings(new ImportOptions(Temp(log), null, null));

    private static string Line(string yaml, string bdf) => yaml.Split('\n').Single(l => l.Contains($"bdf: \"{bdf}\"", StringComparison.Ordinal));

    /// <summary>Each line of <paramref name="log"/> with its "[ seconds] " timestamp replaced by <paramref name="prefix"/>'s output.</summary>
    private static string Reprefixed(string log, Func<string, string> prefix) =>
        string.Join('\n', log.Split('\n').Select(l => l.Length > 15 && l[0] == '[' ? prefix(l[..15]) + l[15..] : l));

    public static TheoryData<string, Func<string, string>> Prefixes => new()
    {
        { "console record level", ts => "<6>" + ts },
        { "journalctl, locale month", _ => "jan 13 14:17:13 host kernel: " },
        { "journalctl -o short-iso", _ => "2024-01-13T14:17:13+0100 host kernel: " },
        { "dmesg -T", _ => "[Fri May  1 09:46:33 2026] " },
        { "dmesg -x", ts => "kern  :info  : " + ts },
        { "CONFIG_PRINTK_CALLER", ts => ts.TrimEnd() + "[    T1] " },
    };

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void Every_prefix_a_log_comes_with_imports_the_same_machine(string shape, Func<string, string> prefix)
    {
        var shaped = Reprefixed(BridgedLog, prefix);
        Assert.False(shaped == BridgedLog, $"{shape}: the prefix was not applied");
        Assert.Equal(Yaml(BridgedLog), Yaml(shaped));
    }

    [Fact]
    public void An_e820_type_a_mailer_cut_is_an_error_at_the_type()
    {
        var cut = Head.Replace("0x000000017fffffff] usable", "0x000000017fffffff] usab=", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => Yaml(cut));
        Assert.Contains(":4:71: error: e820 type 'usab=' is not one the kernel prints", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbered_persistent_and_soft_reserved_e820_types_import_as_reserved()
    {
        var log = Head +
            "[    0.000000] BIOS-e820: [mem 0x0000000180000000-0x00000001bfffffff] persistent (type 12)\n" +
            "[    0.000000] BIOS-e820: [mem 0x00000001c0000000-0x00000001ffffffff] soft reserved\n" +
            "[    0.000000] BIOS-e820: [mem 0x0000000200000000-0x000000020fffffff] type 20\n";
        var yaml = Yaml(log);
        Assert.Contains("{ start: 0x180000000, end: 0x1bfffffff, type: reserved }   # the log says 'persistent (type 12)': imported as reserved", yaml, StringComparison.Ordinal);
        Assert.Contains("{ start: 0x1c0000000, end: 0x1ffffffff, type: reserved }   # the log says 'soft reserved'", yaml, StringComparison.Ordinal);
        Assert.Contains("{ start: 0x200000000, end: 0x20fffffff, type: reserved }   # the log says 'type 20'", yaml, StringComparison.Ordinal);
    }

    // A Thunderbolt-style switch below a root port, as a 5.x kernel logs it: the upstream port gets no pcieport
    // line (no port service binds to it), the downstream ports do.
    private const string Switch =
        "[    0.300000] pci 0000:00:1c.4: [8086:9d14] type 01 class 0x060400\n" +
        "[    0.300001] pci 0000:04:00.0: [8086:15c0] type 01 class 0x060400\n" +
        "[    0.300002] pci 0000:05:00.0: [8086:15c0] type 01 class 0x060400\n" +
        "[    0.300003] pci 0000:05:01.0: [8086:15c0] type 01 class 0x060400\n" +
        "[    0.300004] pci 0000:06:00.0: [8086:15bf] type 00 class 0x088000\n" +
        "[    0.300005] pci 0000:07:00.0: [8086:15c1] type 00 class 0x0c0330\n" +
        "[    0.300006] pci 0000:00:1c.4: PCI bridge to [bus 04-3b]\n" +
        "[    0.300007] pci 0000:04:00.0: PCI bridge to [bus 05-3b]\n" +
        "[    0.300008] pci 0000:05:00.0: PCI bridge to [bus 06]\n" +
        "[    0.300009] pci 0000:05:01.0: PCI bridge to [bus 07]\n" +
        "[    1.200000] pcieport 0000:00:1c.4: PME: Signaling with IRQ 122\n" +
        "[    1.200001] pcieport 0000:05:01.0: pciehp: Slot #1 AttnBtn- PwrCtrl- MRL- AttnInd- PwrInd- HotPlug+ Surprise+\n";

    [Fact]
    public void A_switch_upstream_port_without_a_pcieport_line_is_read_from_the_ports_below_it()
    {
        var yaml = Yaml(Head + Switch);
        Assert.Contains("model: pcie-root-port, secondary-bus: 0x04", Line(yaml, "00:1c.4"), StringComparison.Ordinal);
        Assert.Contains("model: pcie-upstream-port, secondary-bus: 0x05", Line(yaml, "04:00.0"), StringComparison.Ordinal);
        Assert.Contains("model: pcie-downstream-port, secondary-bus: 0x06", Line(yaml, "05:00.0"), StringComparison.Ordinal);
        Assert.Contains("model: pcie-downstream-port, secondary-bus: 0x07", Line(yaml, "05:01.0"), StringComparison.Ordinal);
        Assert.DoesNotContain("pcie: false", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void The_device_type_newer_kernels_print_decides_without_any_pcieport_line()
    {
        var typed = Head +
            "[    0.300000] pci 0000:00:1c.0: [8086:a110] type 01 class 0x060400 PCIe Root Port\n" +
            "[    0.300001] pci 0000:01:00.0: [104c:8240] type 01 class 0x060400 PCIe to PCI/PCI-X bridge\n" +
            "[    0.300002] pci 0000:02:01.0: [1000:0012] type 00 class 0x010000 conventional PCI endpoint\n" +
            "[    0.300003] pci 0000:00:1f.0: [8086:a143] type 00 class 0x060100 conventional PCI endpoint\n" +
            "[    0.300004] pci 0000:00:1c.0: PCI bridge to [bus 01-02]\n" +
            "[    0.300005] pci 0000:01:00.0: PCI bridge to [bus 02]\n";
        var yaml = Yaml(typed);
        Assert.Contains("model: pcie-root-port", Line(yaml, "00:1c.0"), StringComparison.Ordinal);
        Assert.Contains("model: pcie-to-pci-bridge", Line(yaml, "01:00.0"), StringComparison.Ordinal);
        Assert.Contains("pcie: false", Line(yaml, "02:01.0"), StringComparison.Ordinal);
        Assert.Contains("pcie: false", Line(yaml, "00:1f.0"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bridge_on_the_root_bus_is_a_root_port_unless_it_decodes_subtractively()
    {
        var log = Head +
            "[    0.300000] pci 0000:00:01.0: [8086:1901] type 01 class 0x060400\n" +
            "[    0.300001] pci 0000:00:1e.0: [8086:244e] type 01 class 0x060401\n" +
            "[    0.300002] pci 0000:00:1c.2: [8086:a112] type 01 class 0x060400\n" +
            "[    0.300003] pci 0000:01:00.0: [10de:1c82] type 00 class 0x030000\n" +
            "[    0.300004] pci 0000:01:00.0: 32.000 Gb/s available PCIe bandwidth, limited by 2.5 GT/s PCIe x16 link at 0000:00:01.0 (capable of 126.016 Gb/s with 8.0 GT/s PCIe x16 link)\n" +
            "[    0.300005] pci 0000:00:01.0: PCI bridge to [bus 01]\n" +
            "[    0.300006] pci 0000:03:00.0: [1106:3044] type 00 class 0x0c0010\n" +
            "[    0.300007] pci 0000:00:1e.0: PCI bridge to [bus 03] (subtractive decode)\n" +
            "[    0.300008] pci 0000:04:00.0: [8086:1533] type 00 class 0x020000\n" +
            "[    0.300009] pci 0000:00:1c.2: PCI bridge to [bus 04]\n";
        var yaml = Yaml(log);
        Assert.Contains("model: pcie-root-port", Line(yaml, "00:01.0"), StringComparison.Ordinal);
        Assert.Contains("a PCIe bandwidth line names its link", Line(yaml, "00:01.0"), StringComparison.Ordinal);
        Assert.Contains("model: pcie-root-port", Line(yaml, "00:1c.2"), StringComparison.Ordinal);
        Assert.Contains("on a root bus, not subtractive", Line(yaml, "00:1c.2"), StringComparison.Ordinal);
        Assert.Contains("model: pci-bridge", Line(yaml, "00:1e.0"), StringComparison.Ordinal);
        Assert.Contains("pcie: false", Line(yaml, "03:00.0"), StringComparison.Ordinal);
    }

    [Fact]
    public void Functions_on_a_second_root_bus_raise_no_warning_when_the_log_names_its_host_bridge()
    {
        var log = Head +
            "[    0.300000] pci 0000:00:00.0: [8086:2020] type 00 class 0x060000\n" +
            "[    0.300001] pci 0000:16:05.0: [8086:2034] type 00 class 0x088000\n" +
            "[    0.300002] pci 0000:00:1c.0: [8086:a190] type 01 class 0x060400\n" +
            "[    0.300003] pci 0000:02:00.0: [8086:1533] type 00 class 0x020000\n" +
            "[    0.300004] pci 0000:00:1c.0: PCI bridge to [bus 02]\n";
        Assert.Contains(WithWarnings(log).Warnings, w => w.Contains("16:05.0 is on bus 16, which no bridge in the log leads to", StringComparison.Ordinal));
        var named = log.Replace("[    0.300001] pci 0000:16:05.0", "[    0.200000] PCI host bridge to bus 0000:16\n[    0.300001] pci 0000:16:05.0", StringComparison.Ordinal);
        Assert.DoesNotContain(WithWarnings(named).Warnings, w => w.Contains("16:05.0", StringComparison.Ordinal));
        var acpi = log.Replace("[    0.300001] pci 0000:16:05.0", "[    0.200000] ACPI: PCI Root Bridge [PC01] (domain 0000 [bus 16-63])\n[    0.300001] pci 0000:16:05.0", StringComparison.Ordinal);
        Assert.DoesNotContain(WithWarnings(acpi).Warnings, w => w.Contains("16:05.0", StringComparison.Ordinal));
    }

    // Two root ports in one slot (functions 0 and 4), each with a device, and a multifunction endpoint.
    private const string Ports =
        "[    0.300000] pci 0000:00:1c.0: [8086:34b8] type 01 class 0x060400\n" +
        "[    0.300001] pci 0000:00:1c.4: [8086:34bc] type 01 class 0x060400\n" +
        "[    0.300002] pci 0000:00:1f.0: [8086:3482] type 00 class 0x060100\n" +
        "[    0.300003] pci 0000:00:1f.3: [8086:34c8] type 00 class 0x040380\n" +
        "[    0.300003] pci 0000:00:1f.4: [8086:34a3] type 00 class 0x0c0500\n" +
        "[    0.300004] pci 0000:01:00.0: [8086:2723] type 00 class 0x028000\n" +
        "[    0.300005] pci 0000:00:1c.0: PCI bridge to [bus 01]\n" +
        "[    0.300006] pci 0000:02:00.0: [144d:a808] type 00 class 0x010802\n" +
        "[    0.300007] pci 0000:00:1c.4: PCI bridge to [bus 02]\n";

    [Fact]
    public void The_logs_iommu_groups_show_which_ports_isolate_and_the_run_reproduces_them()
    {
        var log = Head + Ports +
            "[    0.900000] pci 0000:00:1c.0: Adding to iommu group 7\n" +
            "[    0.900001] pci 0000:00:1c.4: Adding to iommu group 8\n" +
            "[    0.900002] pci 0000:00:1f.0: Adding to iommu group 9\n" +
            "[    0.900003] pci 0000:00:1f.3: Adding to iommu group 9\n" +
            "[    0.900003] pci 0000:00:1f.4: Adding to iommu group 11\n" +
            "[    0.900004] pci 0000:01:00.0: Adding to iommu group 10\n" +
            "[    0.900005] pci 0000:02:00.0: Adding to iommu group 8\n";
        var yaml = Yaml(log);
        Assert.Contains("acs: true", Line(yaml, "00:1c.0"), StringComparison.Ordinal);
        Assert.Contains("ACS: the log puts the functions of bus 01 in other iommu groups", Line(yaml, "00:1c.0"), StringComparison.Ordinal);
        // 00:1c.4 shares its group with its device: no ACS. It is apart from 00:1c.0 because that one has ACS.
        Assert.DoesNotContain("acs: true", Line(yaml, "00:1c.4"), StringComparison.Ordinal);
        Assert.DoesNotContain("acs: true", Line(yaml, "00:1f.0"), StringComparison.Ordinal);
        Assert.DoesNotContain("acs: true", Line(yaml, "00:1f.3"), StringComparison.Ordinal);
        Assert.Contains("apart from 00:1f.0 of its slot, which has none", Line(yaml, "00:1f.4"), StringComparison.Ordinal);

        var r = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "imported.yaml"), DmaSim.Kernel.Profiles.ProfileCatalog.Find("linux-6.1")!);
        var group = r.Devices.ToDictionary(d => d.Bdf, d => d.Group);
        Assert.Equal(group["00:1c.4"], group["02:00.0"]);
        Assert.Equal(group["00:1f.0"], group["00:1f.3"]);
        Assert.Equal(5, new[] { "00:1c.0", "00:1c.4", "00:1f.0", "00:1f.4", "01:00.0" }.Select(b => group[b]).Distinct().Count());
    }

    [Fact]
    public void Without_group_lines_acs_stays_unknown_and_absent()
    {
        var yaml = Yaml(Head + Ports);
        Assert.DoesNotContain("acs: true", yaml, StringComparison.Ordinal);
        Assert.Contains("ACS unknown without --lspci: assumed absent", Line(yaml, "00:1c.0"), StringComparison.Ordinal);
    }

    [Fact]
    public void Rmrr_devices_come_from_every_era_s_identity_map_line_and_the_lpc_line_names_the_isa_bridge()
    {
        const string rmrr = "[    0.020003] DMAR: RMRR base: 0x000000000e8000 end: 0x000000000e8fff\n";
        // 2.6.3x printed the end + 1 it passed on; 4.x the RMRR's last byte, then the floppy workaround's map;
        // 5.x a dev_info from the device's private domain.
        var y26 = Yaml(Head + rmrr + "[    1.000000] IOMMU: Setting identity map for device 0000:00:1d.0 [0xe8000 - 0xe9000]\n");
        var y4 = Yaml(Head + rmrr + "[    1.000000] DMAR: Setting identity map for device 0000:00:1d.0 [0xe8000 - 0xe8fff]\n" +
            "[    1.000001] DMAR: Prepare 0-16MiB unity mapping for LPC\n" +
            "[    1.000002] DMAR: Setting identity map for device 0000:00:1f.0 [0x0 - 0xffffff]\n");
        var y5 = Yaml(Head + rmrr + "[    1.000000] pci 0000:00:1d.0: DMAR: Setting identity map [0xe8000 - 0xe8fff]\n");
        foreach (var y in new[] { y26, y4, y5 })
            Assert.Contains("{ start: 0xe8000, end: 0xe8fff, devices: [\"pci-00-1d-0\"] }", y, StringComparison.Ordinal);
        Assert.Contains("class: 0x060100", Line(y4, "00:1f.0"), StringComparison.Ordinal);
        Assert.DoesNotContain("class:", Line(y4, "00:1d.0"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_line_with_doubled_spaces_still_picks_the_profile_and_a_log_without_one_warns()
    {
        var doubled = Head.Replace("Linux version 6.1.0-13-amd64", "Linux  version  4.8.0-32-generic", StringComparison.Ordinal);
        Assert.Contains("profile: linux-3.0", Yaml(doubled), StringComparison.Ordinal);
        var none = WithWarnings(string.Join('\n', Head.Split('\n').Skip(1)));
        Assert.Contains(none.Warnings, w => w.Contains("warning: no \"Linux version\" line: profile linux-6.1 assumed", StringComparison.Ordinal));
        Assert.DoesNotContain(WithWarnings(Head).Warnings, w => w.Contains("Linux version", StringComparison.Ordinal));
    }

    [Fact]
    public void A_log_whose_kernel_was_forced_on_by_the_platform_opt_in_imports_the_tables_flag()
    {
        var forced = Yaml(Head + "[    0.500000] DMAR: Intel-IOMMU force enabled due to platform opt in\n");
        Assert.Contains("platform-opt-in: true", forced, StringComparison.Ordinal);
        Assert.DoesNotContain("platform-opt-in", Yaml(Head), StringComparison.Ordinal);
    }
}
