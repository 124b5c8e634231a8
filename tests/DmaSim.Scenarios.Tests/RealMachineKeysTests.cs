namespace DmaSim.Scenarios.Tests;

/// <summary>The optional keys of imported real machines: kernel `version`, unit `cap`/`ecap`/`ver`, dmar-table `registers`.</summary>
public sealed class RealMachineKeysTests
{
    private const string ImportedUnit =
        "  iommu:\n" +
        "    host-address-width: 39\n" +
        "    units:\n" +
        "      - { base: 0xfed90000, include-pci-all: true, cap: c90780106f0462, ecap: f020fe, ver: \"1:0\" }\n";

    [Fact]
    public void Kernel_version_is_optional_and_kept_as_written()
    {
        Assert.Null(TestYaml.Parse(TestYaml.Build()).Kernel.Version);
        var s = TestYaml.Parse(TestYaml.Build(tail: "  version: 5.11.22-4-pve\n"));
        Assert.Equal("5.11.22-4-pve", s.Kernel.Version);
    }

    [Theory]
    [InlineData("2.6.32-rc5")]
    [InlineData("3.17.4-301.fc21.x86_64")]
    [InlineData("\"6.1\"")]
    [InlineData("6.2.10-arch1-1")]
    public void Kernel_versions_of_real_logs_are_accepted(string version) =>
        Assert.NotNull(TestYaml.Parse(TestYaml.Build(tail: $"  version: {version}\n")).Kernel.Version);

    [Fact]
    public void A_version_that_is_not_a_release_is_an_error_at_its_value() =>
        Assert.Equal("t.yaml:11:12: error: version 'five' is not a kernel release like 5.11.22 or 2.6.32-rc5",
            TestYaml.Error(TestYaml.Build(tail: "  version: five\n")));

    /// <summary>Digits of other scripts are no release either (they matched \d and then failed to parse).</summary>
    [Fact]
    public void A_version_in_other_digits_is_an_error_at_its_value() =>
        Assert.Equal("t.yaml:11:12: error: version '\u0665.\u0661\u0660' is not a kernel release like 5.11.22 or 2.6.32-rc5",
            TestYaml.Error(TestYaml.Build(tail: "  version: \u0665.\u0661\u0660\n")));

    [Fact]
    public void A_unit_given_by_its_registers_reports_them_and_its_fields_follow()
    {
        var s = TestYaml.Parse(TestYaml.Build(ImportedUnit));
        var u = Assert.IsType<InlineIommu>(s.Platform.Iommu).Units[0];
        Assert.Equal(0xc90780106f0462UL, u.Registers!.Cap);
        Assert.Equal(0xf020feUL, u.Registers.Ecap);
        Assert.Equal(0x10u, u.Registers.Version);
        Assert.True(u.PassThrough);          // ECAP.PT, bit 6 of f020fe
        Assert.Equal([48], u.Sagaw.ToArray());       // CAP.SAGAW = 0b00100
        Assert.Equal(8, u.FaultRecordingRegisters); // CAP.NFR = 7
    }

    [Fact]
    public void Cap_cannot_be_combined_with_a_field_it_decides()
    {
        var e = TestYaml.Error(TestYaml.Build(ImportedUnit.Replace("include-pci-all: true,", "include-pci-all: true, sagaw: [39],", StringComparison.Ordinal)));
        Assert.StartsWith("t.yaml:12:", e, StringComparison.Ordinal);
        Assert.EndsWith("'sagaw' cannot be combined with 'cap'/'ecap': the register values decide it", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Cap_without_ecap_is_an_error()
    {
        var e = TestYaml.Error(TestYaml.Build(ImportedUnit.Replace(" ecap: f020fe,", "", StringComparison.Ordinal)));
        Assert.EndsWith("unit needs both 'cap' and 'ecap' (the raw registers, as the kernel prints them)", e, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cap: zz12", "cap must be a 64-bit hex value")]
    [InlineData("ver: \"1.0\"", "ver must be major:minor")]
    public void Bad_register_values_are_errors(string replacement, string message)
    {
        var old = replacement.StartsWith("cap", StringComparison.Ordinal) ? "cap: c90780106f0462" : "ver: \"1:0\"";
        var e = TestYaml.Error(TestYaml.Build(ImportedUnit.Replace(old, replacement, StringComparison.Ordinal)));
        Assert.StartsWith("t.yaml:12:", e, StringComparison.Ordinal);
        Assert.Contains(message, e, StringComparison.Ordinal);
    }

    [Fact]
    public void An_imported_unit_and_its_rmrrs_may_have_an_unknown_scope()
    {
        var tail = ImportedUnit.Replace("include-pci-all: true", "devices: []", StringComparison.Ordinal)
            + "    rmrr:\n      - { start: 0x7f000000, end: 0x7f0fffff, devices: [] }\n";
        var iommu = Assert.IsType<InlineIommu>(TestYaml.Parse(TestYaml.Build(tail)).Platform.Iommu);
        Assert.Empty(iommu.Units[0].Devices);
        Assert.Empty(iommu.Rmrr[0].Devices);
    }

    [Fact]
    public void A_unit_without_registers_still_needs_a_scope()
    {
        var tail = "  iommu:\n    host-address-width: 39\n    units:\n      - { base: 0xfed90000, devices: [] }\n";
        Assert.EndsWith("unit covers no device: set include-pci-all: true or list devices", TestYaml.Error(TestYaml.Build(tail)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_dmar_table_may_carry_unit_registers()
    {
        var tail = "  iommu:\n    dmar-table: t.dat\n    registers:\n      - { base: 0xfed90000, cap: d2008c40660462, ecap: f050da }\n";
        var t = Assert.IsType<DmarTableIommu>(TestYaml.Parse(TestYaml.Build(tail)).Platform.Iommu);
        var r = Assert.Single(t.Registers);
        Assert.Equal(0xfed90000UL, r.Base!.Value.Value);
        Assert.Equal(0xd2008c40660462UL, r.Cap);
    }

    [Fact]
    public void Registers_twice_for_one_base_is_an_error()
    {
        var entry = "      - { base: 0xfed90000, cap: d2008c40660462, ecap: f050da }\n";
        var e = TestYaml.Error(TestYaml.Build("  iommu:\n    dmar-table: t.dat\n    registers:\n" + entry + entry));
        Assert.StartsWith("t.yaml:13:", e, StringComparison.Ordinal);
        Assert.Contains("already given at line 12", e, StringComparison.Ordinal);
    }

    [Fact]
    public void Registers_without_a_dmar_table_is_an_error()
    {
        var e = TestYaml.Error(TestYaml.Build(ImportedUnit + "    registers: []\n"));
        Assert.Contains("'registers' goes with 'dmar-table'", e, StringComparison.Ordinal);
    }

    [Fact]
    public void An_endpoint_may_give_its_pci_class_code_and_a_bridge_may_not()
    {
        Assert.Null(TestYaml.Parse(TestYaml.Build()).Platform.Devices[0].ClassCode);
        var s = TestYaml.Parse(TestYaml.With("address-bits: 64 }", "address-bits: 64, class: 0x0c0320 }"));
        Assert.Equal(0x0c0320u, s.Platform.Devices[0].ClassCode);
        Assert.Equal("t.yaml:8:88: error: class must be between 0 and 16777215, not 16777216",
            TestYaml.Error(TestYaml.With("address-bits: 64 }", "address-bits: 64, class: 0x1000000 }")));
        Assert.Equal("t.yaml:9:76: error: key 'class' does not apply to a pcie-root-port: bridges forward DMA, they do not originate it",
            TestYaml.Error(TestYaml.Build("    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port, secondary-bus: 3, class: 0x060400 }\n")));
    }

    [Fact]
    public void Driver_none_says_no_driver_is_bound()
    {
        var s = TestYaml.Parse(TestYaml.With("address-bits: 64 }", "address-bits: 64, driver: none }"));
        Assert.True(s.Platform.Devices[0].NoDriver);
        Assert.Null(s.Platform.Devices[0].Driver);
        Assert.False(TestYaml.Parse(TestYaml.Build()).Platform.Devices[0].NoDriver);
    }
}
