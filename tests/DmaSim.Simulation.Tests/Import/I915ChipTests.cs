using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>`driver: i915` takes the masks of the chip its PCI device id names in i915's own id table.</summary>
public sealed class I915ChipTests
{
    private static DeviceResult Gpu(string pciId, string? profile = null) =>
        CatalogueMaskTests.Run($"driver: i915, pci-id: \"{pciId}\"", profile: profile).Devices.Single();

    private static (int, int) Masks(string pciId, string profile)
    {
        var d = Gpu(pciId, profile);
        return (d.DmaMaskBits, d.CoherentDmaMaskBits);
    }

    [Fact]
    public void A_gen2_830_keeps_32_bit_streaming_and_30_bit_coherent()
    {
        var d = Gpu("8086:3577");
        Assert.Equal((32, 30), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }

    [Fact]
    public void A_965GM_gets_36_bit_streaming_and_32_bit_coherent()
    {
        var d = Gpu("8086:2a02");
        Assert.Equal((36, 32), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }

    [Fact]
    public void Under_2632_intel_agp_sets_36_bit_streaming_on_G33_and_965_class_chips_and_i915_sets_no_mask()
    {
        // G33 (29c2): intel-agp 36/PCI 32 in 2.6.32, i915's dma_mask_size 36/36 later; 830 (3577): no mask set
        // in 2.6.32 (32/32), i915's 32/30 later; 965GM (2a02): 36/32 in both; Tiger Lake: in no 2.6.32 table.
        Assert.Equal((36, 32), Masks("8086:29c2", "linux-2.6.32"));
        Assert.Equal((36, 36), Masks("8086:29c2", "linux-6.1"));
        Assert.Equal((32, 32), Masks("8086:3577", "linux-2.6.32"));
        Assert.Equal((32, 30), Masks("8086:3577", "linux-3.0"));
        Assert.Equal((36, 32), Masks("8086:2a02", "linux-2.6.32"));
        Assert.Equal((32, 32), Masks("8086:9a49", "linux-2.6.31"));
    }

    [Fact]
    public void An_unknown_Intel_display_id_keeps_the_gen2_masks_and_says_the_chip_is_unknown()
    {
        // 8086:7121 is an i810: in pciids.h, but driven by the i810 driver, not in i915's pciidlist.
        var r = CatalogueMaskTests.Run("driver: i915, pci-id: \"8086:7121\"");
        Assert.Equal((32, 30), (r.Devices.Single().DmaMaskBits, r.Devices.Single().CoherentDmaMaskBits));
        Assert.Contains(r.Explanations, e => e.Text.Contains("8086:7121 is not in i915's id table (pciids.h): unknown chip", StringComparison.Ordinal));
    }

    [Fact]
    public void Latitude_9420_Tiger_Lake_gets_its_real_masks_and_no_stall_under_any_profile_with_intel_iommu_on()
    {
        var (yaml, scenario) = ImportLatitude(withIdLine: true, lspci: null);
        Assert.Contains("address-bits: 39, driver: i915, pci-id: \"8086:9a49\"", yaml, StringComparison.Ordinal);
        Assert.Contains("chip 9a49: TIGERLAKE (graphics 12, INTEL_TGL_IDS)", yaml, StringComparison.Ordinal);
        foreach (var profile in ProfileCatalog.All)
        {
            // 2.6.3x: Tiger Lake is in none of the kernel's tables, so no driver sets a mask (PCI defaults).
            var masks = profile.IgdDmaMasks.Value == IgdDmaMasks.IntelAgp ? 32 : 39;
            var gpu = ScenarioRunner.Run(scenario, profile, scenario.Kernel.Cmdline + " intel_iommu=on").Devices.Single(d => d.Bdf == "00:02.0");
            Assert.Equal((profile.Name, masks, masks, DeviceDomain.Translated, Outcome.Ok),
                (profile.Name, gpu.DmaMaskBits, gpu.CoherentDmaMaskBits, gpu.Domain, gpu.Outcome));
        }
    }

    [Fact]
    public void Every_chip_of_the_table_has_a_coherent_mask_no_wider_than_its_streaming_mask()
    {
        Assert.True(I915Chips.All.Count() > 300);
        Assert.All(I915Chips.All, c => Assert.InRange(c.CoherentMaskBits, 30, c.StreamingMaskBits));
        Assert.Null(I915Chips.Find((0x10de, 0x9a49)));
    }

    [Fact]
    public void Latitude_9420_excerpt_without_ids_says_the_chip_is_unknown_and_an_lspci_dump_names_it()
    {
        var (bare, _) = ImportLatitude(withIdLine: false, lspci: null);
        Assert.Contains("driver i915: catalogue masks 32/30 — no pci-id: unknown chip", bare, StringComparison.Ordinal);
        var (named, _) = ImportLatitude(withIdLine: false, lspci: "00:02.0 VGA compatible controller [0300]: Intel Corporation TigerLake-LP GT2 [Iris Xe Graphics] [8086:9a49] (rev 01)\n");
        Assert.Contains("catalogue masks 39/39 — chip 9a49: TIGERLAKE", named, StringComparison.Ordinal);
    }

    /// <summary>
    /// The Latitude 9420's log and DMAR table; the excerpt prints no enumeration line, so the GPU's id
    /// (8086:9a49, Tiger Lake GT2, as the machine's lspci reports it) comes from an added "pci … [8086:9a49]"
    /// line as a full boot log prints it, or from an lspci dump.
    /// </summary>
    private static (string Yaml, Scenario Scenario) ImportLatitude(bool withIdLine, string? lspci)
    {
        var (dmesg, table) = RealLog.Pairs().Single(p => Path.GetFileName(p.Dmesg).StartsWith("dell-latitude-9420", StringComparison.Ordinal));
        var lines = File.ReadAllLines(dmesg).ToList();
        if (withIdLine)
            lines.Insert(lines.FindIndex(l => l.Contains("pci 0000:00:02.0:", StringComparison.Ordinal)), "[    0.300000] pci 0000:00:02.0: [8086:9a49] type 00 class 0x030000");
        var dir = Directory.CreateTempSubdirectory("dmasim-i915-").FullName;
        var log = Path.Combine(dir, "latitude.dmesg.txt");
        File.WriteAllLines(log, lines);
        string? lspciPath = null;
        if (lspci is not null) File.WriteAllText(lspciPath = Path.Combine(dir, "lspci.txt"), lspci);
        var yaml = ScenarioImporter.Import(new ImportOptions(log, table, Path.Combine(dir, "machine.yaml"), lspciPath));
        return (yaml, ScenarioLoader.Parse(yaml, Path.Combine(dir, "machine.yaml")));
    }
}
