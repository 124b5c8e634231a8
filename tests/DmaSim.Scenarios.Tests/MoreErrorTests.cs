using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>The remaining error kinds of docs/scenario-format.md, one test each.</summary>
public sealed class MoreErrorTests
{
    private static string Units(params string[] units) =>
        Build("    - { bdf: \"04:00.0\", name: two, model: scripted, address-bits: 32 }\n" +
              "  iommu:\n    host-address-width: 40\n    units:\n" + string.Concat(units.Select(u => "      - " + u + "\n")));

    [Fact]
    public void Wrong_node_shape() => Assert.Equal(
        "t.yaml:5:11: error: memory must be a list, not 'lots'",
        Error(With("  memory:\n    - { start: 0x0, end: 0xbfffffff, type: usable }\n", "  memory: lots\n")));

    [Fact]
    public void Text_where_a_mapping_is_expected() => Assert.Equal(
        "t.yaml:9:9: error: kernel must be a mapping, not 'linux-3.0'",
        Error(Base + "kernel: linux-3.0\n"));

    [Fact]
    public void Empty_memory() => Assert.Equal(
        "t.yaml:5:11: error: memory needs at least one e820 entry",
        Error(With("  memory:\n    - { start: 0x0, end: 0xbfffffff, type: usable }\n", "  memory: []\n")));

    [Fact]
    public void Bridge_on_its_own_secondary_bus() => Assert.Equal(
        "t.yaml:9:69: error: secondary-bus 5 is the bus the bridge itself sits on",
        Error(Build("    - { bdf: \"05:00.0\", name: br, model: pci-bridge, secondary-bus: 5 }\n")));

    [Fact]
    public void Two_units_at_one_base() => Assert.Equal(
        "t.yaml:14:9: error: two units at base 0xfed90000 (the other at line 13)",
        Error(Units("{ base: 0xfed90000, devices: [dev] }", "{ base: 0xfed90000, devices: [two] }")));

    [Fact]
    public void Two_include_pci_all_units() => Assert.Equal(
        "t.yaml:14:9: error: a second include-pci-all unit (the first at line 13); a segment has one",
        Error(Units("{ base: 0xfed90000, include-pci-all: true }", "{ base: 0xfed91000, include-pci-all: true }")));

    [Fact]
    public void Device_in_two_unit_scopes() => Assert.Equal(
        "t.yaml:14:9: error: 03:00.0 is already in the scope of the unit at line 13",
        Error(Units("{ base: 0xfed90000, devices: [dev] }", "{ base: 0xfed91000, devices: [two, dev] }")));

    [Fact]
    public void Include_pci_all_with_devices() => Assert.Equal(
        "t.yaml:13:61: error: an include-pci-all unit covers every device no other unit lists; give it no devices",
        Error(Units("{ base: 0xfed90000, include-pci-all: true, devices: [dev] }")));

    [Fact]
    public void Device_listed_twice_in_a_scope() => Assert.Equal(
        "t.yaml:13:44: error: 03:00.0 ('dev') is listed twice",
        Error(Units("{ base: 0xfed90000, devices: [dev, \"03:00.0\"] }")));

    [Fact]
    public void No_units() => Assert.Equal(
        "t.yaml:12:12: error: units needs at least one remapping unit (or write 'iommu: none')",
        Error(Units().Replace("    units:\n", "    units: []\n", StringComparison.Ordinal)));

    [Fact]
    public void Unit_scopes_and_bridges_resolve_to_bdfs()
    {
        var s = Parse(Units("{ base: 0xfed90000, devices: [dev] }", "{ base: 0xfed91000, include-pci-all: true }"));
        var iommu = Assert.IsType<InlineIommu>(s.Platform.Iommu);
        Assert.Equal<PciBdf>([new PciBdf(3, 0, 0)], iommu.Units[0].Devices);
        Assert.True(iommu.Units[1].IncludePciAll);
        Assert.Empty(iommu.Rmrr);
    }

    [Fact]
    public void Rmrr_without_devices() => Assert.Equal(
        "t.yaml:14:56: error: an RMRR needs at least one device",
        Error(Build("  iommu:\n    host-address-width: 40\n    units:\n      - { base: 0xfed90000, include-pci-all: true }\n" +
                    "    rmrr:\n      - { start: 0x7f000000, end: 0x7f0fffff, devices: [] }\n")));

    [Fact]
    public void Offset_on_a_fresh_map() => Assert.Equal(
        "t.yaml:12:63: error: 'offset' applies to map only together with 'buffer'",
        Error(Build(tail: "workload:\n  - { device: dev, op: map, size: 4KiB, direction: to-device, offset: 8, as: m }\n")));

    [Fact]
    public void Profile_listed_twice() => Assert.Equal(
        "t.yaml:12:54: error: profile 'linux-3.0' is listed twice",
        Error(Build(tail: "expect:\n  - { device: dev, outcome: ok, profile: [linux-3.0, linux-3.0] }\n")));

    [Fact]
    public void Empty_profile_list() => Assert.Equal(
        "t.yaml:12:42: error: profile needs at least one name (leave it out to apply to every profile)",
        Error(Build(tail: "expect:\n  - { device: dev, outcome: ok, profile: [] }\n")));

    [Fact]
    public void Unknown_firmware_dma() => Assert.Equal(
        "t.yaml:8:95: error: unknown firmware-dma 'smm'; expected one of: none, rmrr",
        Error(With("address-bits: 64 }", "address-bits: 64, firmware-dma: smm }")));

    [Fact]
    public void Step_that_is_not_a_mapping() => Assert.Equal(
        "t.yaml:12:5: error: a workload step must be a mapping, not 'io'",
        Error(Build(tail: "workload:\n  - io\n")));

    [Fact]
    public void Swiotlb_dynamic_is_a_flag_and_reaches_the_kernel_config()
    {
        Assert.True(Parse(Base + "kernel:\n  profile: linux-6.6\n  config: { swiotlb-dynamic: true }\n").Kernel.SwiotlbDynamic);
        Assert.Null(Parse(Base + "kernel:\n  profile: linux-6.6\n").Kernel.SwiotlbDynamic);
        Assert.Equal(
            "t.yaml:11:30: error: swiotlb-dynamic must be true or false, not 'y'",
            Error(Base + "kernel:\n  profile: linux-6.6\n  config: { swiotlb-dynamic: y }\n"));
    }
}
