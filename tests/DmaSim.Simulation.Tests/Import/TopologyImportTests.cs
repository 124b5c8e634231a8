using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>`dmasim import` rebuilds the PCI tree from the log (and lspci), and the run forms groups from it.</summary>
public sealed class TopologyImportTests
{
    /// <summary>A hand-written 6.1 boot log (only the lines the importer reads) of a QEMU q35 shape: root ports with ACS, a PCIe-to-PCI bridge with two conventional devices, the multifunction ICH9.</summary>
    /// <remarks>
    /// Input data, not source text: each line is in the shape the kernel prints at boot (the importer matches those
    /// message texts, e.g. the VT-d banner that says remapping came up), with addresses, ids and timestamps made up
    /// for this topology. The lspci lines below are likewise the shape of `lspci -nn -vv` output.
    /// </remarks>
    internal const string BridgedLog =
        "[    0.000000] Linux version 6.1.0-13-amd64 #1 SMP Debian\n" +
        "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=/dev/vda1 intel_iommu=on\n" +
        "[    0.000000] BIOS-provided physical RAM map:\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x00000000b0000000-0x00000000bfffffff] reserved\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable\n" +
        "[    0.020000] DMAR: Host address width 39\n" +
        "[    0.020001] DMAR: DRHD base: 0x000000fed90000 flags: 0x1\n" +
        "[    0.020002] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f02076\n" +
        "[    0.300000] pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000\n" +
        "[    0.300001] pci 0000:00:01.0: [1b36:000c] type 01 class 0x060400\n" +
        "[    0.300002] pci 0000:00:02.0: [8086:3420] type 01 class 0x060400\n" +
        "[    0.300003] pci 0000:00:1f.0: [8086:2918] type 00 class 0x060100\n" +
        "[    0.300004] pci 0000:00:1f.2: [8086:2922] type 00 class 0x010601\n" +
        "[    0.300005] pci 0000:00:1f.3: [8086:2930] type 00 class 0x0c0500\n" +
        "[    0.300006] pci 0000:01:00.0: [8086:10d3] type 00 class 0x020000\n" +
        "[    0.300007] pci 0000:00:01.0: PCI bridge to [bus 01]\n" +
        "[    0.300008] pci 0000:02:00.0: [1b36:000e] type 01 class 0x060400\n" +
        "[    0.300009] pci 0000:00:02.0: PCI bridge to [bus 02-03]\n" +
        "[    0.300010] pci 0000:03:01.0: [1000:0012] type 00 class 0x010000\n" +
        "[    0.300011] pci 0000:03:02.0: [8086:100e] type 00 class 0x020000\n" +
        "[    0.300012] pci 0000:02:00.0: PCI bridge to [bus 03]\n" +
        "[    0.500000] iommu: Default domain type: Translated \n" +
        "[    1.000000] DMAR: Intel(R) Virtualization Technology for Directed I/O\n" +
        "[    1.200000] pcieport 0000:00:01.0: PME: Signaling with IRQ 24\n" +
        "[    1.200001] pcieport 0000:00:02.0: PME: Signaling with IRQ 25\n" +
        "[    1.500000] ahci 0000:00:1f.2: controller ready\n";

    internal static string Temp(string text, string name = "boot.dmesg.txt")
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dmasim-topo-").FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    internal static RunResult ImportAndRun(string log, string? lspci = null, string profile = "linux-6.1")
    {
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(log), null, null, lspci is null ? null : Temp(lspci, "lspci.txt")));
        var scenario = ScenarioLoader.Parse(yaml, "imported.yaml");
        return ScenarioRunner.Run(scenario, ProfileCatalog.Find(profile)!);
    }

    private static string Groups(RunResult r) => string.Join(" ", r.Devices.Select(d => $"{d.Bdf}={d.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}"));

    [Fact]
    public void Bridges_ports_and_conventional_devices_are_rebuilt_from_the_log()
    {
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(BridgedLog), null, null));
        Assert.Contains("bdf: \"00:01.0\", name: pcieport-00-01-0, model: pcie-root-port, secondary-bus: 0x01, acs: true", yaml, StringComparison.Ordinal);
        Assert.Contains("bdf: \"00:02.0\", name: pcieport-00-02-0, model: pcie-root-port, secondary-bus: 0x02, pci-id", yaml, StringComparison.Ordinal);
        Assert.Contains("bdf: \"02:00.0\", name: bridge-02-00-0, model: pcie-to-pci-bridge, secondary-bus: 0x03", yaml, StringComparison.Ordinal);
        Assert.Contains("bdf: \"03:01.0\", name: pci-03-01-0, model: scripted, address-bits: 64, driver: none, pcie: false", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Linux_61_groups_the_multifunction_ich9_and_the_pcie_to_pci_bridge_with_its_devices()
    {
        var r = ImportAndRun(BridgedLog);
        // Scan order: bus 0, then 01 (behind 00:01.0, ACS: own group), then 02/03 (ioh3420 without ACS: with its port).
        Assert.Equal("00:00.0=0 00:01.0=1 00:02.0=2 00:1f.0=3 00:1f.2=3 00:1f.3=3 01:00.0=4 02:00.0=2 03:01.0=2 03:02.0=2", Groups(r));
        Assert.All(r.Devices, d => Assert.Equal("translated", d.DomainName));
        Assert.All(r.Devices, d => Assert.Equal("lazy", d.Flush));
        Assert.Contains(r.Log, l => l.EndsWith("pci 0000:03:02.0: Adding to iommu group 2", StringComparison.Ordinal));
    }

    [Fact]
    public void Legacy_profiles_group_by_shared_context_entry()
    {
        var r = ImportAndRun(BridgedLog.Replace("Linux version 6.1.0-13-amd64", "Linux version 2.6.32-5-amd64", StringComparison.Ordinal), profile: "linux-2.6.32");
        // Conventional devices behind the PCIe-to-PCI bridge share (bus 03, devfn 0); bridges have no group.
        Assert.Equal("00:00.0=0 00:01.0=- 00:02.0=- 00:1f.0=1 00:1f.2=2 00:1f.3=3 01:00.0=4 02:00.0=- 03:01.0=5 03:02.0=5", Groups(r));
    }

    [Fact]
    public void Lspci_settles_port_types_and_acs()
    {
        const string Lspci =
            "00:02.0 PCI bridge [0604]: Intel Corporation 7500/5520/5500/X58 I/O Hub PCI Express Root Port 0 [8086:3420] (rev 02)\n" +
            "\tBus: primary=00, secondary=02, subordinate=03, sec-latency=0\n" +
            "\tCapabilities: [90] Express (v2) Root Port (Slot+), MSI 00\n" +
            "\tCapabilities: [148 v1] Access Control Services\n" +
            "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n" +
            "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-\n" +
            "\n" +
            "02:00.0 PCI bridge [0604]: Red Hat, Inc. QEMU PCIe-PCI bridge [1b36:000e]\n" +
            "\tCapabilities: [48] Express (v2) PCI-Express to PCI/PCI-X Bridge, MSI 00\n";
        var r = ImportAndRun(BridgedLog, Lspci);
        // With ACS on 00:02.0, the PCIe-to-PCI bridge and its devices leave the port's group.
        Assert.Equal("00:00.0=0 00:01.0=1 00:02.0=2 00:1f.0=3 00:1f.2=3 00:1f.3=3 01:00.0=4 02:00.0=5 03:01.0=5 03:02.0=5", Groups(r));
    }

    [Fact]
    public void An_lspci_dump_of_another_machine_is_an_error_at_its_line()
    {
        const string Other = "00:02.0 VGA compatible controller [0300]: Intel Corporation HD Graphics 530 [8086:1912] (rev 06)\n";
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(Temp(BridgedLog), null, null, Temp(Other, "lspci.txt"))));
        Assert.EndsWith("lspci.txt:1:1: error: 00:02.0 is [8086:1912] here but [8086:3420] in the log (line 13): an lspci dump of another machine", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_bridges_to_one_bus_are_an_error_at_the_second_bridge_line()
    {
        var log = BridgedLog + "[    1.600000] pci 0000:00:1c.0: [8086:1c10] type 01 class 0x060400\n[    1.600001] pci 0000:00:1c.0: PCI bridge to [bus 01]\n";
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(Temp(log), null, null)));
        Assert.Contains(":30:16: error: 00:1c.0 and 00:01.0 (line 18) both claim bus 01", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Doubtful_logs_import_with_warnings_at_their_lines()
    {
        var log = BridgedLog
            + "[    1.700000] pci 0000:07:00.0: [8086:10d3] type 00 class 0x020000\n"
            + "[    1.700001] pci 0000:00:1c.0: [8086:1c10] type 01 class 0x060400\n[    1.700002] pci 0000:00:1c.0: PCI bridge to [bus 05]\n"
            + "[    1.700003] pci 0000:07:00.0: Adding to iommu group 4000\n";
        var result = ScenarioImporter.ImportWithWarnings(new ImportOptions(Temp(log), null, null));
        Assert.Contains(result.Warnings, w => w.EndsWith(":29: warning: 07:00.0 is on bus 07, which no bridge in the log leads to: imported as behind an implicit root port", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.EndsWith(":31: warning: bridge 00:1c.0 leads to bus 05, but the log shows no device there (an empty slot, or a cut log)", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.EndsWith(":32: warning: 07:00.0 is in iommu group 4000, but the log names only 12 functions (groups count from 0): out of range", StringComparison.Ordinal));
    }

    [Fact]
    public void A_group_number_no_int_can_hold_is_an_error_and_a_log_without_pci_lines_a_warning()
    {
        var bad = BridgedLog + "[    1.800000] pci 0000:01:00.0: Adding to iommu group 99999999999\n";
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(Temp(bad), null, null)));
        Assert.Contains(":29:56: error: iommu group number 99999999999 is out of range", e.Message, StringComparison.Ordinal);
        var bare = string.Join('\n', BridgedLog.Split('\n').Where(l => !l.Contains(" 0000:", StringComparison.Ordinal)));
        var result = ScenarioImporter.ImportWithWarnings(new ImportOptions(Temp(bare), null, null));
        Assert.Contains(result.Warnings, w => w.EndsWith(":1: warning: the log names no PCI function (no \"pci 0000:BB:DD.F\" lines): the machine gets no devices; give the full dmesg from boot", StringComparison.Ordinal));
    }
}
