using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// Interrupt remapping's scope lines (parse_ioapics_under_ir, 4.19+): after the table's parse, per unit in the kernel's
/// list order, one line per IOAPIC or HPET scope entry. Three real logs come back exactly, from their tables and from the
/// log alone (the import writes each unit's `ioapic:` / `hpet:` ids).
/// </summary>
public sealed class InterruptScopeLineTests
{
    private static List<string> ScopeLines(IEnumerable<string> log) =>
        [.. log.Where(l => !l.StartsWith('#')).Select(l => l.Contains("] ", StringComparison.Ordinal) ? l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..] : l)
            .Where(l => l.Contains(" under DRHD base ", StringComparison.Ordinal))];

    [Theory]
    [InlineData("dmesg", "dell-latitude-9420_8A77983183EB_6.2.10-arch1-1.dmesg.txt", "dell-latitude-9420_8A77983183EB.dat", 2)]
    [InlineData("dmesg", "dell-precision-t7500_428B8D25DDA9_5.11.22-4-pve.dmesg.txt", "dell-precision-t7500_428B8D25DDA9.dat", 3)]
    [InlineData("dmesg-rmrr", "dell-poweredge-r750xs_5.4.0-86-generic-iommu-pt.dmesg.txt", null, 2)]
    public void A_real_log_gets_its_ioapic_and_hpet_lines_back(string folder, string file, string? table, int count)
    {
        var path = SharedData.Path_(folder, file);
        var want = ScopeLines(File.ReadLines(path));
        Assert.Equal(count, want.Count);
        Assert.Equal(want, ScopeLines(RealLog.ImportAndRun(path, null).Run.Log));
        if (table is not null) Assert.Equal(want, ScopeLines(RealLog.ImportAndRun(path, Path.Combine(RealLog.DmarDir, table)).Run.Log));
    }

    private static List<string> Boot(string profile, string cmdline, string unitKeys = "ioapic: [8, 9], hpet: [0]")
    {
        var s = new ScenarioBuilder("ir", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"], ioapic: [2] }", 39)
            .UnitRaw($"{{ base: 0xfed91000, include-pci-all: true, {unitKeys} }}")
            .Device("00:02.0", "gpu", "scripted", 39, extra: "class: 0x030000")
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel(profile, cmdline)
            .Build("ir.yaml");
        return ScopeLines(SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline).Events.LogLines());
    }

    [Fact]
    public void Units_report_in_list_order_and_each_entry_in_table_order()
    {
        Assert.Equal(
        [
            "DMAR-IR: IOAPIC id 2 under DRHD base  0xfed90000 IOMMU 0",
            "DMAR-IR: IOAPIC id 8 under DRHD base  0xfed91000 IOMMU 1",
            "DMAR-IR: IOAPIC id 9 under DRHD base  0xfed91000 IOMMU 1",
            "DMAR-IR: HPET id 0 under DRHD base 0xfed91000",
        ], Boot("linux-6.1", "intel_iommu=on"));
    }

    [Theory]
    [InlineData("linux-6.1", "intel_iommu=on intremap=off")]
    [InlineData("linux-2.6.32", "intel_iommu=on")]
    [InlineData("linux-3.0", "intel_iommu=on")]
    public void No_scope_lines_without_interrupt_remapping_or_before_4_19(string profile, string cmdline) =>
        Assert.Empty(Boot(profile, cmdline));

    [Fact]
    public void A_repeated_id_is_an_error_at_its_place()
    {
        var e = Assert.Throws<InputException>(() => new ScenarioBuilder("bad").Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true, ioapic: [8, 8] }", 39)
            .Device("00:19.0", "nic", "scripted", 64).Kernel("linux-6.1", "").Build("bad.yaml"));
        Assert.Contains("ioapic id 8 is listed twice", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("bad.yaml:", e.Message, StringComparison.Ordinal);
    }
}
