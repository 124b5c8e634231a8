using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Simulation.Firmware;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>One minimal hand-built table per lint rule, plus a clean baseline that must raise nothing.</summary>
public sealed class DmarLintTests
{
    private static readonly DeviceScope _igpu = DeviceScope.Endpoint(new Bdf(0, 2, 0));
    private static readonly DeviceScope _xhci = DeviceScope.Endpoint(new Bdf(0, 0x14, 0));
    private static readonly DeviceScope _ioApic = DeviceScope.IoApic(2, new Bdf(0, 0x1e, 7));

    private static Drhd Unit(ulong registerBase, bool includeAll, params DeviceScope[] scopes) =>
        new(0, 0, includeAll ? Drhd.IncludePciAllFlag : (byte)0, 0, 0, registerBase, [.. scopes]);

    private static Rmrr Region(ulong start, ulong end, params DeviceScope[] scopes) => new(0, 0, 0, 0, start, end, [.. scopes]);

    /// <summary>Encodes and re-parses, so offsets and lengths are real.</summary>
    private static DmarTable Table(int haw, byte flags, params DmarStructure[] structures) =>
        DmarCodec.Parse(DmarCodec.Encode(new DmarTable { HostAddressWidthField = (byte)(haw - 1), Flags = flags, Structures = [.. structures] }), "t.dat");

    private static DmarStructure[] Good() =>
        [Unit(0xfed90000, false, _igpu), Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff, _xhci)];

    private static DmarTable GoodTable() => Table(39, DmarTable.IntrRemapFlag, Good());

    private static E820Map Memory() => new(
    [
        new E820Entry(new PhysRange(0x0, 0x9ffff), E820Type.Usable),
        new E820Entry(new PhysRange(0x100000, 0x7effffff), E820Type.Usable),
        new E820Entry(new PhysRange(0x7f000000, 0x7f0fffff), E820Type.Reserved),
        new E820Entry(new PhysRange(0x7f100000, 0x7f1fffff), E820Type.Nvs),
        new E820Entry(new PhysRange(0x7f200000, 0x7fffffff), E820Type.Acpi),
        new E820Entry(new PhysRange(0x100000000, 0x47fffffff), E820Type.Usable),
    ]);

    private static DmarFinding Single(DmarTable table, string rule, DmarLintSeverity severity, DmarLintContext? context = null)
    {
        var findings = DmarLint.Run(table, context);
        var f = Assert.Single(findings, x => x.Rule == rule);
        Assert.Equal(severity, f.Severity);
        Assert.False(string.IsNullOrWhiteSpace(f.Consequence));
        Assert.False(string.IsNullOrWhiteSpace(f.Source));
        return f;
    }

    [Fact]
    public void A_clean_table_raises_nothing_even_with_e820()
    {
        Assert.Empty(DmarLint.Run(GoodTable(), new DmarLintContext { E820 = Memory() }));
    }

    [Fact]
    public void Wrong_checksum_is_a_warning_in_acpica_words()
    {
        var bytes = DmarCodec.Encode(GoodTable());
        var good = bytes[9];
        bytes[9] ^= 1;
        var f = Single(DmarCodec.Parse(bytes, "t"), "checksum", DmarLintSeverity.Warning);
        Assert.Equal($"ACPI BIOS Warning (bug): Incorrect checksum in table [DMAR] - 0x{bytes[9]:X2}, should be 0x{good:X2}", f.KernelMessage);
        Assert.Equal(9, f.Offset);
    }

    [Fact]
    public void Host_address_width_rules()
    {
        Assert.Equal("DMAR: Invalid DMAR haw", Single(Table(11, 1, Good()), "haw-invalid", DmarLintSeverity.Error).KernelMessage);
        Assert.DoesNotContain(DmarLint.Run(Table(12, 1, Good())), f => f.Rule.StartsWith("haw", StringComparison.Ordinal));
        Single(Table(57, 1, Good()), "haw-implausible", DmarLintSeverity.Warning);
        var below = Single(Table(32, 1, Good()), "haw-below-memory", DmarLintSeverity.Warning, new DmarLintContext { E820 = Memory() });
        Assert.Contains("0x47fffffff", below.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_flag_rules()
    {
        Single(Table(39, DmarTable.X2ApicOptOutFlag, Good()), "flags-x2apic-opt-out-without-intr-remap", DmarLintSeverity.Warning);
        Single(Table(39, 0x81, Good()), "flags-reserved", DmarLintSeverity.Warning);
        Assert.Empty(DmarLint.Run(Table(39, 0x07, Good())));
    }

    [Fact]
    public void Structures_out_of_type_order_and_reserved_types()
    {
        Single(Table(39, 1, Region(0x7f000000, 0x7f0fffff, _xhci), Unit(0xfed91000, true, _ioApic)), "structure-order", DmarLintSeverity.Warning);
        var f = Single(Table(39, 1, [.. Good(), new UnknownDmarStructure(0, 0, 7, [7, 0, 8, 0, 1, 2, 3, 4])]), "structure-unknown-type", DmarLintSeverity.Warning);
        Assert.Equal("DMAR: Unknown DMAR structure type 7", f.KernelMessage);
    }

    [Fact]
    public void No_drhd_disables_vtd()
    {
        var f = Single(Table(39, 1, Region(0x7f000000, 0x7f0fffff, _xhci)), "no-drhd", DmarLintSeverity.Error);
        Assert.Equal("DMAR: [Firmware Bug]: No DRHD structure found in DMAR table", f.KernelMessage);
    }

    [Fact]
    public void Drhd_at_address_zero_disables_vtd()
    {
        var t = Table(39, 1, Unit(0, false, _igpu), Unit(0xfed91000, true, _ioApic));
        var f = Single(t, "drhd-base-zero", DmarLintSeverity.Error);
        Assert.Equal("DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!", f.KernelMessage);
        Assert.Equal(t.Structures[0].Offset + 8, f.Offset);
        Assert.Contains("disabled", f.Consequence, StringComparison.Ordinal);
        Single(Table(39, 1, Unit(0xfed90800, false, _igpu), Unit(0xfed91000, true, _ioApic)), "drhd-base-unaligned", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Drhd_returning_all_ones_needs_the_unit_registers()
    {
        var t = GoodTable();
        Assert.DoesNotContain(DmarLint.Run(t), f => f.Rule == "drhd-all-ones");
        var regs = new Dictionary<ulong, (ulong, ulong)> { [0xfed90000] = (ulong.MaxValue, ulong.MaxValue), [0xfed91000] = (0xd2008c40660462, 0xf050da) };
        var f = Single(t, "drhd-all-ones", DmarLintSeverity.Error, new DmarLintContext { UnitRegisters = regs });
        Assert.Equal("DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address fed90000 returns all ones!", f.KernelMessage);
    }

    [Fact]
    public void Duplicate_drhd_is_skipped()
    {
        Single(Table(39, 1, Unit(0xfed90000, false, _igpu), Unit(0xfed90000, false, _xhci), Unit(0xfed91000, true, _ioApic)), "drhd-duplicate", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Include_pci_all_rules()
    {
        Single(Table(39, 1, Unit(0xfed90000, false, _igpu), Unit(0xfed91000, false, _ioApic)), "no-include-pci-all", DmarLintSeverity.Warning);
        var dup = Table(39, 1, Unit(0xfed90000, true), Unit(0xfed91000, true, _ioApic));
        var f = Single(dup, "include-pci-all-duplicate", DmarLintSeverity.Error);
        Assert.Equal(dup.Structures[1].Offset, f.Offset);
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Unit(0xfed90000, false, _igpu)), "include-pci-all-not-last", DmarLintSeverity.Warning);
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic, _igpu)), "include-pci-all-with-pci-scopes", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Rmrr_ending_before_it_starts_is_an_error()
    {
        var f = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f0fffff, 0x7f000000, _xhci)), "rmrr-end-before-start", DmarLintSeverity.Error);
        Assert.Contains("Your BIOS is broken; RMRR ends before it starts!", f.KernelMessage, StringComparison.Ordinal);
        Assert.Contains("bad RMRR [0x000000007f0fffff-0x000000007f000000]", f.KernelMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Rmrr_not_page_aligned_is_a_tainting_warning()
    {
        var f = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000800, 0x7f0fffff, _xhci)), "rmrr-unaligned", DmarLintSeverity.Warning);
        Assert.Equal("DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x000000007f000800-0x000000007f0fffff]", f.KernelMessage);
        Assert.Contains("still uses", f.Consequence, StringComparison.Ordinal);
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f000ffe, _xhci)), "rmrr-unaligned", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Rmrr_beyond_the_host_address_width()
    {
        var f = Single(Table(36, 1, Unit(0xfed91000, true, _ioApic), Region(0x1000000000, 0x1000000fff, _xhci)), "rmrr-beyond-haw", DmarLintSeverity.Warning);
        Assert.Equal("Your BIOS is broken; RMRR exceeds permitted address width (36 bits)", f.KernelMessage);
    }

    [Fact]
    public void Overlapping_rmrrs()
    {
        var t = Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff, _xhci), Region(0x7f0ff000, 0x7f1fffff, _igpu));
        Assert.Equal(t.Structures[2].Offset, Single(t, "rmrr-overlap", DmarLintSeverity.Warning).Offset);
        Assert.DoesNotContain(DmarLint.Run(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff, _xhci), Region(0x7f100000, 0x7f1fffff, _igpu))),
            f => f.Rule == "rmrr-overlap");
    }

    [Fact]
    public void Rmrr_outside_reserved_e820_memory()
    {
        var context = new DmarLintContext { E820 = Memory() };
        // In usable RAM: firmware DMA can hit pages the kernel hands out.
        var usable = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7e000000, 0x7e0fffff, _xhci)), "rmrr-not-reserved", DmarLintSeverity.Error, context);
        Assert.Equal("DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x000000007e000000-0x000000007e0fffff], contact BIOS vendor for fixes", usable.KernelMessage);
        // ACPI data and holes: warned, still used.
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f200000, 0x7f2fffff, _xhci)), "rmrr-not-reserved", DmarLintSeverity.Warning, context);
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0xe8000, 0xe8fff, _xhci)), "rmrr-not-reserved", DmarLintSeverity.Warning, context);
        // Wholly ACPI NVS is accepted, as modern arch_rmrr_sanity_check does; without e820 the rule is skipped.
        Assert.Empty(DmarLint.Run(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f100000, 0x7f1fffff, _xhci)), context));
        Assert.Empty(DmarLint.Run(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7e000000, 0x7e0fffff, _xhci))));
    }

    [Fact]
    public void Rmrr_without_devices()
    {
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff)), "rmrr-no-scope", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Rhsa_naming_no_unit()
    {
        var f = Single(Table(39, 1, [.. Good(), new Rhsa(0, 0, 0, 0xfbffc000, 1)]), "rhsa-orphan", DmarLintSeverity.Warning);
        Assert.Equal("DMAR: [Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at fbffc000", f.KernelMessage);
        Assert.Empty(DmarLint.Run(Table(39, 1, [.. Good(), new Rhsa(0, 0, 0, 0xfed91000, 0)])));
    }

    [Fact]
    public void Andd_rules()
    {
        var ns = new DeviceScope(DeviceScopeType.AcpiNamespace, 1, 0, [new PciPathEntry(0x15, 0)]);
        var unterminated = new Andd(0, 0, [0, 0, 0], 1, [.. "\\_SB.I2C0"u8.ToArray()]);
        var f = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic, ns), unterminated), "andd-name-unterminated", DmarLintSeverity.Error);
        Assert.Equal("DMAR: [Firmware Bug]: Your BIOS is broken; ANDD object name is not NUL-terminated", f.KernelMessage);
        Assert.Empty(DmarLint.Run(Table(39, 1, Unit(0xfed91000, true, _ioApic, ns), Andd.Create(1, "\\_SB.I2C0"))));
        var orphan = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Andd.Create(1, "\\_SB.I2C0")), "andd-no-scope", DmarLintSeverity.Warning);
        Assert.Equal("DMAR: No IOMMU scope found for ANDD enumeration ID 1 (\\_SB.I2C0)", orphan.KernelMessage);
        Single(Table(39, 1, Unit(0xfed91000, true, _ioApic, ns)), "namespace-scope-without-andd", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Scope_type_and_path_rules()
    {
        var reserved = new DeviceScope((DeviceScopeType)9, 0, 0, [new PciPathEntry(1, 0)]);
        Assert.Equal("DMAR: Unsupported device scope", Single(Table(39, 1, Unit(0xfed91000, true, _ioApic, reserved)), "scope-unsupported-type", DmarLintSeverity.Warning).KernelMessage);
        var empty = new DeviceScope(DeviceScopeType.Endpoint, 0, 0, []);
        Single(Table(39, 1, Unit(0xfed90000, false, empty), Unit(0xfed91000, true, _ioApic)), "scope-empty-path", DmarLintSeverity.Warning);
    }

    [Fact]
    public void Scopes_checked_against_a_logged_pci_enumeration()
    {
        const string dmesg = """
            [    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable
            [    0.000000] BIOS-e820: [mem 0x000000007f000000-0x000000007f0fffff] reserved
            [    0.100000] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap ffffffffffffffff ecap ffffffffffffffff
            [    0.300000] pci 0000:00:02.0: [8086:9a49] type 00 class 0x030000
            [    0.300100] pci 0000:00:1c.0: [8086:a0b8] type 01 class 0x060400
            [    0.300200] pci 0000:00:14.0: [8086:a0ed] type 00 class 0x0c0330
            [    0.400000] pci 0000:00:1c.0: PCI bridge to [bus 02]
            [    0.400100] pci 0000:02:00.0: [144d:a808] type 00 class 0x010802
            """;
        var context = DmarLintContext.FromDmesg(dmesg, "d.txt");
        Assert.NotNull(context.E820);
        Assert.Equal(4, context.PciDevices!.Count);
        Assert.Equal((byte)2, context.PciDevices[new Bdf(0, 0x1c, 0)].SecondaryBus);
        Assert.Equal((ulong.MaxValue, ulong.MaxValue), context.UnitRegisters![0xfed90000]);

        Assert.DoesNotContain(DmarLint.Run(Table(39, 1, [.. Good(), Region(0x7f000000, 0x7f000fff, new DeviceScope(DeviceScopeType.Endpoint, 0, 0, [new(0x1c, 0), new(0, 0)]))]), context),
            f => f.Rule.StartsWith("scope", StringComparison.Ordinal));
        Assert.DoesNotContain(DmarLint.Run(GoodTable(), context), f => f.Rule.StartsWith("scope", StringComparison.Ordinal));

        var absent = Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff, DeviceScope.Endpoint(new Bdf(0, 0x1d, 0)))),
            "scope-device-absent", DmarLintSeverity.Warning, context);
        Assert.Contains("00:1d.0", absent.Message, StringComparison.Ordinal);
        var behindBridge = new DeviceScope(DeviceScopeType.Endpoint, 0, 0, [new(0x1c, 0), new(0, 1)]);
        Assert.Contains("00:[1c.0/00.1]", Single(Table(39, 1, Unit(0xfed91000, true, _ioApic), Region(0x7f000000, 0x7f0fffff, behindBridge)),
            "scope-device-absent", DmarLintSeverity.Warning, context).Message, StringComparison.Ordinal);

        var wrongType = Single(Table(39, 1, Unit(0xfed90000, false, DeviceScope.Endpoint(new Bdf(0, 0x1c, 0))), Unit(0xfed91000, true, _ioApic)),
            "scope-type-mismatch", DmarLintSeverity.Error, context);
        Assert.Equal("DMAR: Device scope type does not match for 0000:00:1c.0", wrongType.KernelMessage);
        Single(Table(39, 1, Unit(0xfed90000, false, DeviceScope.Bridge(new Bdf(0, 0x14, 0))), Unit(0xfed91000, true, _ioApic)),
            "scope-type-mismatch", DmarLintSeverity.Error, context);

        // An excerpt without the enumeration lines gives no device list, so no scope is called absent.
        Assert.Null(DmarLintContext.FromDmesg("[ 1.0] pci 0000:00:14.0: Adding to iommu group 3\n", "d.txt").PciDevices);
    }

    [Fact]
    public void Real_tables_raise_no_errors()
    {
        foreach (var name in DmarCorpus.Names)
        {
            var findings = DmarLint.Run(DmarCodec.Parse(DmarCorpus.Dat(name), name));
            Assert.False(DmarLint.HasErrors(findings), name + ": " + string.Join("; ", findings.Select(f => f.Rule)));
        }
    }

    [Fact]
    public void E820_text_format_and_its_errors()
    {
        var map = DmarLintContext.ParseE820("""
            # start end type
            0x0 0x9ffff usable
            0x100000 0x7effffff usable   # RAM
            [    0.000000] BIOS-e820: [mem 0x000000007f000000-0x000000007f0fffff] reserved
            2147483648 2147487743 nvs
            """, "m.txt");
        Assert.Equal(4, map.Entries.Count);
        Assert.Equal(E820Type.Nvs, map.Entries[3].Type);
        Assert.Equal(0x80000000UL, map.Entries[3].Range.Start.Value);

        var e = Assert.Throws<InputException>(() => DmarLintContext.ParseE820("0x0 0x9ffff usable\n0x100000 0xfff usable\n", "m.txt"));
        Assert.Equal(2, e.Where.Line);
        e = Assert.Throws<InputException>(() => DmarLintContext.ParseE820("0x0 0x9ffff ram\n0x100000 zz usable\n", "m.txt"));
        Assert.Equal(2, e.Where.Line);
        e = Assert.Throws<InputException>(() => DmarLintContext.ParseE820("0x0 0x9ffff bogus\n", "m.txt"));
        Assert.Contains("unknown e820 type", e.Problem, StringComparison.Ordinal);
        e = Assert.Throws<InputException>(() => DmarLintContext.ParseE820("0x0 0x9ffff usable\n0x1000 0x1fff reserved\n", "m.txt"));
        Assert.Contains("overlap", e.Problem, StringComparison.Ordinal);
    }
}
