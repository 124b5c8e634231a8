using DmaSim.Core;
using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>An inline IOMMU's `atsr`, `rhsa`, `andd` and `satc` lists, and their errors.</summary>
public sealed class DmarExtrasTests
{
    /// <summary>Lines 9–12: an inline IOMMU with one include-all unit at 0xfed90000 (line 12); the extras from line 13.</summary>
    private static string Iommu(string extras) =>
        Build("  iommu:\n" +
              "    host-address-width: 40\n" +
              "    units:\n" +
              "      - { base: 0xfed90000, include-pci-all: true }\n" +
              extras);

    [Fact]
    public void Each_list_reads_in_table_order_whatever_the_key_order()
    {
        var s = Parse(Iommu(
            "    satc:\n      - { atc-required: true }\n" +
            "    andd:\n      - { device: 1, name: \"\\\\_SB.PCI0.I2C0\" }\n" +
            "    rhsa:\n      - { base: 0xfed90000, proximity-domain: 1 }\n" +
            "    atsr:\n      - { all-ports: true }\n      - {}\n"));
        var extras = Assert.IsType<InlineIommu>(s.Platform.Iommu).Extras;
        Assert.Collection(extras,
            e => Assert.True(Assert.IsType<InlineAtsr>(e).AllPorts),
            e => Assert.False(Assert.IsType<InlineAtsr>(e).AllPorts),
            e => Assert.Equal((new PhysAddr(0xfed90000), 1u), (Assert.IsType<InlineRhsa>(e).Base, ((InlineRhsa)e).ProximityDomain)),
            e => Assert.Equal((1, "\\_SB.PCI0.I2C0"), ((int)Assert.IsType<InlineAndd>(e).Device, ((InlineAndd)e).Name)),
            e => Assert.True(Assert.IsType<InlineSatc>(e).AtcRequired));
    }

    [Fact]
    public void An_rhsa_must_name_a_listed_unit() => Assert.Equal(
        "t.yaml:14:17: error: rhsa base 0xfed91000 is no unit's register base; an RHSA gives the proximity domain of a listed unit",
        Error(Iommu("    rhsa:\n      - { base: 0xfed91000, proximity-domain: 0 }\n")));

    [Fact]
    public void An_rhsa_domain_is_32_bits() => Assert.Equal(
        "t.yaml:14:47: error: proximity-domain 4294967296 does not fit the RHSA's 32-bit field",
        Error(Iommu("    rhsa:\n      - { base: 0xfed90000, proximity-domain: 0x100000000 }\n")));

    [Fact]
    public void An_andd_name_is_printable_ascii() => Assert.Equal(
        "t.yaml:14:28: error: andd name must be 1..255 printable ASCII characters (an ACPI path such as \\_SB.PCI0.I2C0), not '\\_SB.\u00c9CRAN'",
        Error(Iommu("    andd:\n      - { device: 1, name: \"\\\\_SB.\u00c9CRAN\" }\n")));

    [Fact]
    public void An_andd_device_is_one_byte() => Assert.Equal(
        "t.yaml:14:19: error: device must be between 0 and 255, not 256",
        Error(Iommu("    andd:\n      - { device: 256, name: x }\n")));

    [Fact]
    public void An_unknown_key_in_an_entry_is_named() => Assert.Contains(
        "t.yaml:14:11: error: unknown key 'flags'",
        Error(Iommu("    atsr:\n      - { flags: 1 }\n")));
}
