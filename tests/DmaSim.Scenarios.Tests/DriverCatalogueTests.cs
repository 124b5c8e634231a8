using DmaSim.Testing;

namespace DmaSim.Scenarios.Tests;

/// <summary>(6) The driver catalogue: built from ../shared/data/drivers-dma-masks.csv, named by `driver:`.</summary>
public sealed class DriverCatalogueTests
{
    [Fact]
    public void The_checked_in_copy_equals_the_shared_file()
    {
        var shared = File.ReadAllText(SharedData.Path_("drivers-dma-masks.csv")).ReplaceLineEndings("\n");
        Assert.Equal(shared, DriverCatalogue.CsvText().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Every_row_of_the_shared_file_is_an_entry_with_its_source_and_condition()
    {
        var rows = File.ReadAllLines(SharedData.Path_("drivers-dma-masks.csv")).Count(l => l.Length > 0) - 1;
        Assert.Equal(rows, DriverCatalogue.SharedEntries.Length);
        Assert.All(DriverCatalogue.Entries, e =>
        {
            Assert.False(string.IsNullOrWhiteSpace(e.SourcePath));
            Assert.False(string.IsNullOrWhiteSpace(e.Condition));
            Assert.InRange(e.StreamingMaskBits, 24, 64);
            Assert.InRange(e.CoherentMaskBits, 24, 64);
        });
    }

    [Theory]
    [InlineData("hpsa", 64, 32, "drivers/scsi/hpsa.c")]
    [InlineData("b44", 30, 30, "drivers/net/ethernet/broadcom/b44.c")]
    [InlineData("pci-core-default", 32, 32, "drivers/pci/probe.c (pci_setup_device/pci_device_add)")]
    [InlineData("cciss", 64, 32, "drivers/block/cciss.c (2.6.x-4.13; removed later)")]
    [InlineData("snd-sonicvibes", 24, 24, "sound/pci/es1938.c; sound/pci/sonicvibes.c; sound/pci/als4000.c")]
    [InlineData("virtio-pci-legacy", 64, 44, "drivers/virtio/virtio_pci_legacy_dev.c; drivers/virtio/virtio_mmio.c")]
    [InlineData("tg3", 64, 64, "drivers/net/ethernet/broadcom/tg3.c")]
    [InlineData("ehci-pci", 32, 32, "drivers/usb/host/ehci-hcd.c")]
    [InlineData("xhci_hcd", 64, 64, "drivers/usb/host/xhci.c (xhci_gen_setup)")]
    [InlineData("megaraid_sas", 63, 32, "drivers/scsi/megaraid/megaraid_sas_base.c (megasas_set_dma_mask)")]
    public void Lookups_give_the_principal_masks_and_the_source_path(string name, int streaming, int coherent, string source)
    {
        Assert.True(DriverCatalogue.TryGet(name, out var e));
        Assert.Equal(streaming, e.StreamingMaskBits);
        Assert.Equal(coherent, e.CoherentMaskBits);
        Assert.Equal(source, e.SourcePath);
    }

    [Theory]
    [InlineData("e1000", 32, 32, "e1000_probe", DriverMaskRule.Fixed)]
    [InlineData("e1000e", 64, 64, "e1000_probe", DriverMaskRule.Fixed)]
    [InlineData("nvme", 64, 64, "nvme_pci_enable", DriverMaskRule.Fixed)]
    [InlineData("virtio-pci", 64, 64, "virtio_pci_modern_probe", DriverMaskRule.Fixed)]
    [InlineData("sym53c8xx", 40, 32, "sym_setup_bus_dma_mask", DriverMaskRule.Fixed)]
    [InlineData("mptsas", 64, 64, "mpt_mapresources", DriverMaskRule.RequiredMask)]
    [InlineData("mpt3sas", 64, 64, "_base_config_dma_addressing", DriverMaskRule.RequiredMask)]
    [InlineData("snd_hda_intel", 64, 64, "azx_first_init", DriverMaskRule.Fixed)]
    [InlineData("snd-hda-intel", 64, 64, "azx_first_init", DriverMaskRule.Fixed)]
    [InlineData("ath10k_pci", 32, 32, "ath10k_pci_claim", DriverMaskRule.Fixed)]
    public void Our_rows_name_the_function_and_the_rule(string name, int streaming, int coherent, string function, DriverMaskRule rule)
    {
        Assert.True(DriverCatalogue.TryGet(name, out var e));
        Assert.Equal((streaming, coherent, function, rule), (e.StreamingMaskBits, e.CoherentMaskBits, e.Function, e.Rule));
    }

    [Fact]
    public void The_catalogue_knows_at_least_150_drivers_each_with_a_source_file()
    {
        Assert.True(DriverCatalogue.Entries.Length >= 150, $"{DriverCatalogue.Entries.Length} rows");
        Assert.All(DriverCatalogue.Entries.Where(e => e.Function is not null), e =>
        {
            Assert.Matches(@"^(drivers|sound)/", e.SourcePath);
            Assert.False(string.IsNullOrWhiteSpace(e.Function));
            Assert.InRange(e.StreamingMaskBits, 24, 64);
            Assert.InRange(e.CoherentMaskBits, 24, 64);
        });
    }

    [Fact]
    public void An_unknown_name_is_not_found() => Assert.False(DriverCatalogue.TryGet("e1000e-not-there", out _));

    [Fact]
    public void A_device_may_name_a_catalogue_driver()
    {
        var s = TestYaml.Parse(TestYaml.With("address-bits: 64 }", "address-bits: 64, driver: hpsa }"));
        Assert.Equal("hpsa", s.Platform.Devices[0].Driver);
    }

    [Fact]
    public void A_kernel_log_spelling_is_stored_as_the_catalogue_name()
    {
        var s = TestYaml.Parse(TestYaml.With("address-bits: 64 }", "address-bits: 64, driver: ehci-pci }"));
        Assert.Equal("ehci-hcd", s.Platform.Devices[0].Driver);
    }

    [Fact]
    public void An_unknown_driver_is_an_error_at_its_value()
    {
        var yaml = TestYaml.With("address-bits: 64 }", "address-bits: 64, driver: hspa }");
        var line8 = yaml.Split('\n')[7];
        var col = line8.IndexOf("hspa", StringComparison.Ordinal) + 1;
        Assert.Equal($"t.yaml:8:{col}: error: unknown driver 'hspa' (did you mean 'hpsa'?)", TestYaml.Error(yaml));
    }
}
