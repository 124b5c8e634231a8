using DmaSim.Core;
using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>`platform.iommu` forms and their errors.</summary>
public sealed class IommuErrorTests
{
    /// <summary>Lines 9–14: an inline IOMMU with one unit (line 12) and one RMRR (line 14); kernel from line 15.</summary>
    private static string Iommu(string unit = "{ base: 0xfed90000, include-pci-all: true }",
        string rmrr = "{ start: 0x7f000000, end: 0x7f0fffff, devices: [\"03:00.0\"] }", string extraDevice = "") =>
        Build(extraDevice +
            "  iommu:\n" +
            "    host-address-width: 40\n" +
            "    units:\n" +
            $"      - {unit}\n" +
            "    rmrr:\n" +
            $"      - {rmrr}\n");

    [Fact]
    public void Inline_iommu_reads_all_unit_options()
    {
        var s = Parse(Iommu(unit: "{ base: 0xfed91000, devices: [dev], pass-through: false, sagaw: [48], caching-mode: true, " +
            "queued-invalidation: false, coherent: false, fault-recording-registers: 4 }"));
        var unit = Assert.Single(Assert.IsType<InlineIommu>(s.Platform.Iommu).Units);
        Assert.Equal(new PhysAddr(0xfed91000), unit.Base);
        Assert.False(unit.IncludePciAll);
        Assert.False(unit.PassThrough);
        Assert.Equal<int>([48], unit.Sagaw);
        Assert.Equal<PciBdf>([new PciBdf(3, 0, 0)], unit.Devices);
        Assert.True(unit.CachingMode);
        Assert.False(unit.QueuedInvalidation);
        Assert.False(unit.Coherent);
        Assert.Equal(4, unit.FaultRecordingRegisters);
    }

    [Fact]
    public void Iommu_none_and_default()
    {
        Assert.IsType<NoIommu>(Parse(Build("  iommu: none\n")).Platform.Iommu);
        Assert.IsType<NoIommu>(Parse(Build()).Platform.Iommu);
    }

    [Fact]
    public void Iommu_bad_scalar() => Assert.Equal(
        "t.yaml:9:10: error: iommu must be 'none', { dmar-table: FILE } or a mapping with units, not 'on'",
        Error(Build("  iommu: on\n")));

    [Fact]
    public void Rmrr_naming_an_unknown_device() => Assert.Equal(
        "t.yaml:14:57: error: unknown device '00:1d.0' (declared: dev)",
        Error(Iommu(rmrr: "{ start: 0x7f000000, end: 0x7f0fffff, devices: [\"00:1d.0\"] }")));

    [Fact]
    public void Rmrr_not_whole_pages() => Assert.Equal(
        "t.yaml:14:9: error: RMRR [0x7f000800-0x7f0fffff] does not cover whole 4KiB pages (start ends in 000, end in fff)",
        Error(Iommu(rmrr: "{ start: 0x7f000800, end: 0x7f0fffff, devices: [dev] }")));

    [Fact]
    public void Rmrr_end_below_start() => Assert.Equal(
        "t.yaml:14:35: error: end 0x7e0fffff is below start 0x7f000000 (ranges are inclusive: end is the last byte)",
        Error(Iommu(rmrr: "{ start: 0x7f000000, end: 0x7e0fffff, devices: [dev] }")));

    [Fact]
    public void Unit_base_not_page_aligned() => Assert.Equal(
        "t.yaml:12:17: error: unit base 0xfed90010 is not 4KiB-aligned (register sets start on a page)",
        Error(Iommu(unit: "{ base: 0xfed90010, include-pci-all: true }")));

    [Fact]
    public void Unit_covering_nothing() => Assert.Equal(
        "t.yaml:12:9: error: unit covers no device: set include-pci-all: true or list devices",
        Error(Iommu(unit: "{ base: 0xfed90000 }")));

    [Fact]
    public void Unknown_sagaw_width() => Assert.Equal(
        "t.yaml:12:60: error: sagaw width 40 is not one VT-d defines; use 30, 39, 48, 57",
        Error(Iommu(unit: "{ base: 0xfed90000, include-pci-all: true, sagaw: [40] }")));

    [Fact]
    public void Unknown_unit_option() => Assert.Equal(
        "t.yaml:12:52: error: unknown key 'cachingmode' in unit (did you mean 'caching-mode'?)",
        Error(Iommu(unit: "{ base: 0xfed90000, include-pci-all: true, cachingmode: true }")));

    [Fact]
    public void Firmware_dma_without_an_rmrr() => Assert.Equal(
        "t.yaml:9:7: error: 'usb' has firmware-dma: rmrr, but no RMRR lists 00:1d.0",
        Error(Iommu(extraDevice: "    - { bdf: \"00:1d.0\", name: usb, model: usb-controller, address-bits: 32, firmware-dma: rmrr }\n")));

    [Fact]
    public void Dmar_table_with_inline_keys() => Assert.Equal(
        "t.yaml:9:31: error: 'units' cannot be combined with 'dmar-table': the table file describes the whole IOMMU",
        Error(Build("  iommu: { dmar-table: t.dat, units: [] }\n")));

    [Fact]
    public void Dmar_table_is_resolved_against_the_scenario_folder()
    {
        var dir = Directory.CreateTempSubdirectory("dmasim-scen-");
        try
        {
            var scenario = Path.Combine(dir.FullName, "s.yaml");
            File.WriteAllText(scenario, Build("  iommu: { dmar-table: tables/t.dat }\n"));
            var missing = Assert.Throws<InputException>(() => ScenarioLoader.Load(scenario));
            var expectedPath = Path.Combine(dir.FullName, "tables", "t.dat");
            Assert.Equal($"{scenario}:9:24: error: dmar-table file not found: {expectedPath}", missing.Message);

            Directory.CreateDirectory(Path.Combine(dir.FullName, "tables"));
            File.WriteAllBytes(expectedPath, [0x44, 0x4d, 0x41, 0x52]);
            var table = Assert.IsType<DmarTableIommu>(ScenarioLoader.Load(scenario).Platform.Iommu);
            Assert.Equal(("tables/t.dat", expectedPath), (table.Path, table.ResolvedPath));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
