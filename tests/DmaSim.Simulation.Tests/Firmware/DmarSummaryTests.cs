using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Simulation.Firmware;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>`dmasim dmar summary` on real tables: what each unit covers, RMRRs grouped by the devices they pin, and the era notes.</summary>
public sealed class DmarSummaryTests
{
    private static string Summary(string table, string? log = null)
    {
        var path = SharedData.Path_("dmar", table + ".dat");
        var context = log is null ? DmarLintContext.None : DmarLintContext.FromDmesg(log, "test.log");
        return DmarSummary.Text(path, DmarCodec.Load(path), context);
    }

    [Fact]
    public void Rmrrs_that_pin_the_same_devices_are_listed_once()
    {
        var text = Summary("hp-proliant-dl380e-gen8_CB05571909C8");
        Assert.Contains("Reserved memory regions (RMRR): 9", text, StringComparison.Ordinal);
        // Nine RMRRs, three distinct device sets (USB pair, iLO functions, the seven-range storage/NIC set).
        Assert.Equal(3, text.Split('\n').Count(l => l.TrimStart().StartsWith("pin", StringComparison.Ordinal)));
        Assert.Contains("0xe8000-0xe8fff (4 KiB)", text, StringComparison.Ordinal);
        Assert.Contains("0x75f6f000-0x79f6efff (64 MiB)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Units_say_what_they_cover()
    {
        var text = Summary("lenovo-thinkpad-t410_1C0315195E84");
        Assert.Contains("dmar0 0xfed90000  covers 00:1b.0", text, StringComparison.Ordinal);
        Assert.Contains("dmar1 0xfed93000  covers every PCI device on segment 0 that no other unit lists (INCLUDE_PCI_ALL)", text, StringComparison.Ordinal);
        Assert.Contains("host address width 36 bits: DMA can reach 64 GiB", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Platform_opt_in_is_explained_only_when_the_flag_is_set()
    {
        Assert.Contains("Intel-IOMMU force enabled due to platform opt in", Summary("dell-latitude-9420_8A77983183EB"), StringComparison.Ordinal);
        Assert.DoesNotContain("platform opt in", Summary("hp-z400_FF7C21B8CB39"), StringComparison.Ordinal);
    }

    [Fact]
    public void Pass_through_follows_the_units_ecap_from_the_log()
    {
        var unknown = Summary("lenovo-thinkpad-t410_1C0315195E84");
        Assert.Contains("the table does not hold the registers", unknown, StringComparison.Ordinal);
        const string noPt = "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c9008020e30272 ecap 1000\nDMAR: dmar1: reg_base_addr fed93000 ver 1:0 cap c9008020e30272 ecap 1000\n";
        const string mixed = "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c9008020e30272 ecap 1000\nDMAR: dmar1: reg_base_addr fed93000 ver 1:0 cap c9008020e30272 ecap 1040\n";
        Assert.Contains("some unit lacks ECAP.PT", Summary("lenovo-thinkpad-t410_1C0315195E84", noPt), StringComparison.Ordinal);
        var both = noPt.Replace("ecap 1000", "ecap 10c0", StringComparison.Ordinal);
        Assert.Contains("every unit has ECAP.PT", Summary("lenovo-thinkpad-t410_1C0315195E84", both), StringComparison.Ordinal);
        Assert.Contains("some unit lacks ECAP.PT", Summary("lenovo-thinkpad-t410_1C0315195E84", mixed), StringComparison.Ordinal);
    }

    [Fact]
    public void Rmrr_devices_exempt_from_5_3_are_named_from_their_class()
    {
        // The T410's RMRR pins its two EHCI controllers (class 0c0320): both are USB, so both are exempt from 5.3 on.
        const string log =
            "pci 0000:00:1a.0: [8086:3b3c] type 00 class 0x0c0320\n" +
            "pci 0000:00:1d.0: [8086:3b34] type 00 class 0x0c0320\n" +
            "pci 0000:00:1b.0: [8086:3b56] type 00 class 0x040300\n";
        var text = Summary("lenovo-thinkpad-t410_1C0315195E84", log);
        Assert.Contains("RMRR devices (00:1a.0, 00:1d.0)", text, StringComparison.Ordinal);
        Assert.Contains("USB and graphics devices are exempt again: 00:1a.0, 00:1d.0.", text, StringComparison.Ordinal);
        var audio = log.Replace("0x0c0320\npci 0000:00:1d.0: [8086:3b34] type 00 class 0x0c0320", "0x040300\npci 0000:00:1d.0: [8086:3b34] type 00 class 0x040300", StringComparison.Ordinal);
        Assert.Contains("exempt again: none of these.", Summary("lenovo-thinkpad-t410_1C0315195E84", audio), StringComparison.Ordinal);
    }

    [Fact]
    public void An_acpidump_without_a_dmar_names_the_tables_it_has()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nodmar-{Environment.ProcessId}.txt");
        File.WriteAllText(path, "APIC @ 0x0000000000000000\n    0000: 41 50 49 43 2C 00 00 00\n\nFACP @ 0x0000000000000000\n    0000: 46 41 43 50\n\nAPIC @ 0x0000000000001000\n    0000: 41 50 49 43\n");
        try
        {
            var e = Assert.Throws<InputException>(() => DmarCodec.Load(path));
            Assert.Equal("no DMAR table in this dump (found: APIC, FACP)", e.Problem);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
