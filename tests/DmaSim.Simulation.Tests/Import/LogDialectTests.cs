using CsCheck;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>(5) The DMAR wording per release: prefix, unit line, and which structures print.</summary>
public sealed class LogDialectTests
{
    private static readonly DmarLogEntry _andd = new("ANDD", "ANDD device: 1 name: \\_SB.PCI0.I2C0", true, 4);
    private static readonly DmarLogEntry _satc = new("SATC", "SATC flags: 0x1", true, 5);

    [Theory]
    // drivers/pci/dmar.c PREFIX: "DMAR:" before 2.6.32, "DMAR: " in the 2.6.32.y stable trees (2.6.32.63 read).
    [InlineData("2.6.31.12", "DMAR:Host address width 40", "IOMMU fed90000: ver 1:0 cap c90780106f0462 ecap f020fe")]
    [InlineData("2.6.32-5-amd64", "DMAR: Host address width 40", "IOMMU fed90000: ver 1:0 cap c90780106f0462 ecap f020fe")]
    [InlineData("3.17.4-301.fc21.x86_64", "dmar: Host address width 40", "dmar: IOMMU 0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f020fe")]
    [InlineData("4.19.0-10-amd64", "DMAR: Host address width 40", "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f020fe")]
    [InlineData("6.2.10-arch1-1", "DMAR: Host address width 40", "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f020fe")]
    public void Each_release_words_the_parse_as_it_did(string release, string haw, string unit)
    {
        var d = LogDialect.For(ProfileCatalog.Linux2632, release);
        Assert.Equal(haw, d.HostAddressWidth(40));
        Assert.Equal(unit, d.UnitLine(0, 0xfed90000, 0x10, 0xc90780106f0462, 0xf020fe));
    }

    [Theory]
    [InlineData("2.6.32-5-amd64", SwiotlbInfoWording.Placing)]
    [InlineData("3.5.7", SwiotlbInfoWording.Placing)]
    [InlineData("3.17.4-301.fc21.x86_64", SwiotlbInfoWording.MemMappedAt)]
    [InlineData("4.14.88", SwiotlbInfoWording.MemMappedAt)]
    [InlineData("4.18.20", SwiotlbInfoWording.MemMappedAtHashed)]
    [InlineData("4.19.0-10-amd64", SwiotlbInfoWording.Mapped)]
    [InlineData("5.4.0-4-amd64", SwiotlbInfoWording.Mapped)]
    [InlineData("5.10.0-1-amd64", SwiotlbInfoWording.MappedPa)]
    [InlineData("6.2.10-arch1-1", SwiotlbInfoWording.MappedPa)]
    public void Each_release_words_the_bounce_pool_as_it_did(string release, SwiotlbInfoWording wording) =>
        Assert.Equal(wording, LogDialect.For(ProfileCatalog.Linux2632, release).SwiotlbInfo);

    [Fact]
    public void Without_a_version_the_profile_keeps_its_wording()
    {
        Assert.Equal(LogDialect.Pci26, LogDialect.For(ProfileCatalog.Linux2632, null));
        Assert.Equal("DMAR:Host address width 40", LogDialect.For(ProfileCatalog.Linux2631, null).HostAddressWidth(40));
        Assert.Equal("DMAR: dmar1: reg_base_addr fed91000 ver 4:0 cap 1 ecap 2", LogDialect.For(ProfileCatalog.Linux61, null).UnitLine(1, 0xfed91000, 0x40, 1, 2));
    }

    [Fact]
    public void ANDD_prints_from_3_15_and_SATC_from_5_12()
    {
        Assert.Equal("dmar: Unknown DMAR structure type 4", LogDialect.For(ProfileCatalog.Linux30, "3.10.0").StructureLine(_andd));
        Assert.Equal("dmar: ANDD device: 1 name: \\_SB.PCI0.I2C0", LogDialect.For(ProfileCatalog.Linux30, "3.17.4").StructureLine(_andd));
        Assert.Null(LogDialect.For(ProfileCatalog.Linux61, "5.11.22").StructureLine(_satc));
        Assert.Equal("DMAR: SATC flags: 0x1", LogDialect.For(ProfileCatalog.Linux61, "6.2.10").StructureLine(_satc));
    }

    [Theory]
    [InlineData("5.11.22-4-pve", 5, 11, 22)]
    [InlineData("2.6.32-rc5", 2, 6, 32)]
    [InlineData("6.1", 6, 1, 0)]
    // The pattern's digit limits and edges, fixed (random strings rarely reach a four-digit patch).
    [InlineData("1.2.12345", 1, 2, 1234)]
    [InlineData("1.2.1234", 1, 2, 1234)]
    [InlineData("1.1234", 1, 123, 0)]
    [InlineData("123.456.7890-x", 123, 456, 7890)]
    [InlineData("1.2.", 1, 2, 0)]
    [InlineData(" \t5.10.3", 5, 10, 3)]
    [InlineData("5.10-rc1", 5, 10, 0)]
    public void Versions_parse_from_the_release_string(string text, int major, int minor, int patch)
    {
        Assert.True(KernelVersion.TryParse(text, out var v));
        Assert.Equal(new KernelVersion(major, minor, patch), v);
    }

    // The pattern the parse used to run (with ASCII digits: \d also matched other scripts' digits, which
    // int.Parse then refused with an exception), as the oracle of the hand-written reading.
    private static readonly System.Text.RegularExpressions.Regex _release =
        new(@"^([0-9]{1,3})\.([0-9]{1,3})(?:\.([0-9]{1,4}))?", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    [Fact]
    public void Versions_parse_as_the_release_pattern_reads_them()
    {
        Gen.String[Gen.Char["0123456789.-rc pve\t١"], 0, 14].Sample(text =>
        {
            var m = _release.Match(text.Trim());
            int N(int g) => m.Groups[g].Success ? int.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var parsed = KernelVersion.TryParse(text, out var v);
            Assert.Equal(m.Success, parsed);
            if (parsed) Assert.Equal(new KernelVersion(N(1), N(2), N(3)), v);
        }, iter: 20_000);
        Assert.False(KernelVersion.TryParse(null, out _));
    }

    [Theory]
    [InlineData("1234.5")]
    [InlineData("1.")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("1..2")]
    [InlineData("x5.10")]
    [InlineData("\u0665.\u0661")]
    public void Non_releases_do_not_parse(string text) => Assert.False(KernelVersion.TryParse(text, out _));

    [Fact]
    public void The_identity_map_lines_follow_the_release()
    {
        // 4.19 (hp-proliant-dl360-g6 log): "DMAR: Setting identity map for device 0000:01:04.0 [0xdf63e000 - 0xdf63ffff]".
        var d419 = LogDialect.For(ProfileCatalog.Linux30, "4.19.0-10-amd64");
        Assert.Equal("DMAR: Setting RMRR:", d419.SettingRmrr());
        Assert.Equal("DMAR: Setting identity map for device 0000:01:04.0 [0xdf63e000 - 0xdf63ffff]", d419.IdentityMap("0000:01:04.0", 0xdf63e000, 0xdf63ffff));
        Assert.Equal("DMAR: Prepare 0-16MiB unity mapping for LPC", d419.LpcUnityMap());
        // 2.6.32 passed end + 1 (iommu_prepare_identity_map(pdev, base, end + 1)) and printed "IOMMU: ".
        Assert.Equal("IOMMU: Setting identity map for device 0000:00:1d.0 [0x7f5f0000 - 0x7f600000]",
            LogDialect.For(ProfileCatalog.Linux2632, null).IdentityMap("0000:00:1d.0", 0x7f5f0000, 0x7f5fffff));
    }

    [Fact]
    public void The_3_0_invalidation_line_names_the_unit_and_its_rmrr_line_ends_inclusive()
    {
        var d30 = LogDialect.For(ProfileCatalog.Linux30, null);
        Assert.Equal("IOMMU 1 0xfed91000: using Queued invalidation", d30.InvalidationLine(1, "dmar1", 0xfed91000, queued: true));
        Assert.Equal("IOMMU: Setting identity map for device 0000:00:1d.0 [0x7f5f0000 - 0x7f5fffff]", d30.IdentityMap("0000:00:1d.0", 0x7f5f0000, 0x7f5fffff));
        Assert.Equal("IOMMU 0xfed91000: using Register based invalidation", LogDialect.For(ProfileCatalog.Linux2632, null).InvalidationLine(1, "dmar1", 0xfed91000, queued: false));
        Assert.Equal("IOMMU 0 0xfed90000: using Queued invalidation", LogDialect.For(ProfileCatalog.Linux2632, "3.2.0").InvalidationLine(0, "dmar0", 0xfed90000, queued: true));
    }

    /// <summary>
    /// intel-iommu.c's own lines change in 4.2, when it gained pr_fmt "DMAR: " (4.1.15 against 4.2.8); 3.19 – 4.1
    /// named the unit in a helper of its own (intel_iommu_init_qi) with a bare "IOMMU: ".
    /// </summary>
    [Theory]
    [InlineData("3.18.30", "IOMMU 0 0xfed90000: using Queued invalidation", "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O", "Intel-IOMMU: enabled", false)]
    [InlineData("3.19.8", "IOMMU: dmar0 using Queued invalidation", "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O", "Intel-IOMMU: enabled", false)]
    [InlineData("4.1.15", "IOMMU: dmar0 using Queued invalidation", "PCI-DMA: Intel(R) Virtualization Technology for Directed I/O", "Intel-IOMMU: enabled", false)]
    [InlineData("4.2.8", "DMAR: dmar0: Using Queued invalidation", "DMAR: Intel(R) Virtualization Technology for Directed I/O", "DMAR: IOMMU enabled", true)]
    [InlineData("5.0.1", "DMAR: dmar0: Using Queued invalidation", "DMAR: Intel(R) Virtualization Technology for Directed I/O", "DMAR: IOMMU enabled", true)]
    [InlineData("5.1.15", "DMAR: dmar0: Using Queued invalidation", "DMAR: Intel(R) Virtualization Technology for Directed I/O", "DMAR: IOMMU enabled", false)]
    public void Intel_iommu_c_lines_take_the_dmar_prefix_in_4_2(string version, string qi, string banner, string on, bool groupAdds)
    {
        var d = LogDialect.For(ProfileCatalog.Linux30, version);
        Assert.Equal(qi, d.InvalidationLine(0, "dmar0", 0xfed90000, queued: true));
        Assert.Equal(banner, d.VtdBanner());
        Assert.Equal(on, d.IntelIommuOption(new("on", "on")));
        Assert.Equal(groupAdds, d.PrintsGroupAdds);
    }

    /// <summary>dmar.c kept PREFIX "DMAR: " through 3.5 and took pr_fmt KBUILD_MODNAME ("dmar: ") in 3.6 until 4.2.</summary>
    [Theory]
    [InlineData("3.5.7", "DMAR: Host address width 39")]
    [InlineData("3.6.5", "dmar: Host address width 39")]
    [InlineData("4.1.15", "dmar: Host address width 39")]
    [InlineData("4.2.8", "DMAR: Host address width 39")]
    public void Dmar_c_wording_follows_its_prefix(string version, string haw) =>
        Assert.Equal(haw, LogDialect.For(ProfileCatalog.Linux30, version).HostAddressWidth(39));

    /// <summary>
    /// "No RMRR/ATSR found": dmar_table_init's PREFIX through 3.1 ("DMAR:" without the space in 2.6.31), a literal
    /// "DMAR: " in intel_iommu_init from 3.2; "No SATC found" from 5.12.
    /// </summary>
    [Theory]
    [InlineData("2.6.31.3", true, "DMAR:No RMRR found|DMAR:No ATSR found")]
    [InlineData("3.1.10", true, "DMAR: No RMRR found|DMAR: No ATSR found")]
    [InlineData("3.10.99", false, "DMAR: No RMRR found|DMAR: No ATSR found")]
    [InlineData("5.11.22", false, "DMAR: No RMRR found|DMAR: No ATSR found")]
    [InlineData("5.12.0", false, "DMAR: No RMRR found|DMAR: No ATSR found|DMAR: No SATC found")]
    public void The_none_found_lines_follow_the_release(string version, bool atTableInit, string lines)
    {
        var d = LogDialect.For(ProfileCatalog.Linux30, version);
        Assert.Equal(atTableInit, d.NoneFoundAtTableInit);
        Assert.Equal(lines.Split('|'), d.NoneFoundLines(hasRmrr: false, hasAtsr: false, hasSatc: false));
        Assert.Equal(["DMAR: No ATSR found"], LogDialect.For(ProfileCatalog.Linux30, "4.19.0").NoneFoundLines(hasRmrr: true, hasAtsr: false, hasSatc: false));
    }
}
