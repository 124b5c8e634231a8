using System.Globalization;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;

namespace DmaSim.Simulation.Firmware;

/// <summary>
/// The lint rules, one function each. Kernel wording is quoted from drivers/iommu/intel/dmar.c and
/// drivers/iommu/intel/iommu.c (pr_fmt "DMAR: ", FW_BUG "[Firmware Bug]: "); the DMI "BIOS vendor: …" line that
/// follows several of them is left out. docs/dmar.md has the same list as a table.
/// </summary>
internal static class DmarLintRules
{
    private const string Dmar = "drivers/iommu/intel/dmar.c";
    private const string Iommu = "drivers/iommu/intel/iommu.c";
    private const string FwBug = "DMAR: [Firmware Bug]: ";
    private const string Taints = " Taints the kernel (TAINT_FIRMWARE_WORKAROUND).";
    private const int MinHawField = 11; // PAGE_SHIFT − 1 (parse_dmar_table)
    private const int MaxPlausibleHaw = 52; // x86-64 architectural MAXPHYADDR limit (Intel SDM Vol. 3A §4.1.4)

    internal static readonly Func<DmarTable, DmarLintContext, IEnumerable<DmarFinding>>[] All =
    [
        Checksum, HostAddressWidth, HeaderFlags, StructureOrder, UnknownStructures,
        NoDrhd, DrhdBase, DrhdAllOnes, DuplicateDrhd, IncludeAll,
        RmrrShape, RmrrOverlap, RmrrMemoryType, RmrrScopes,
        RhsaTarget, AnddName, AnddScopes, ScopeTypes, ScopeDevices,
    ];

    private static DmarFinding F(string rule, DmarLintSeverity sev, int offset, string message, string? kernel, string consequence, string source) =>
        new(rule, sev, offset, message, kernel, consequence, source);

    private static string X(ulong v) => Hex.Format(v);
    private static string X018(ulong v) => "0x" + v.ToString("x16", CultureInfo.InvariantCulture);
    private static string Dec(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<DmarFinding> Checksum(DmarTable t, DmarLintContext c)
    {
        if (t.ChecksumOk) yield break;
        var should = DmarCodec.Encode(t)[9];
        yield return F("checksum", DmarLintSeverity.Warning, 9,
            $"the table's bytes do not sum to 0 (checksum byte {t.Checksum:X2}, should be {should:X2})",
            $"ACPI BIOS Warning (bug): Incorrect checksum in table [DMAR] - 0x{t.Checksum:X2}, should be 0x{should:X2}",
            "ACPICA only warns; Linux still uses the table.",
            "ACPICA tbprint.c AcpiTbVerifyChecksum (utcksum.c AcpiUtVerifyChecksum in newer ACPICA), ACPI_BIOS_WARNING; ACPI spec §5.2.6");
    }

    private static IEnumerable<DmarFinding> HostAddressWidth(DmarTable t, DmarLintContext c)
    {
        if (t.HostAddressWidthField < MinHawField)
        {
            yield return F("haw-invalid", DmarLintSeverity.Error, 36,
                $"host address width {t.HostAddressWidth} bits is below the 12-bit minimum (stored value {t.HostAddressWidthField} < {MinHawField})",
                "DMAR: Invalid DMAR haw",
                "parse_dmar_table returns -EINVAL (\"DMAR: Parse DMAR table failure.\"): no DMA remapping at all.",
                Dmar + " parse_dmar_table");
            yield break;
        }
        if (t.HostAddressWidth > MaxPlausibleHaw)
        {
            yield return F("haw-implausible", DmarLintSeverity.Warning, 36,
                $"host address width {t.HostAddressWidth} bits exceeds the {MaxPlausibleHaw} physical address bits any x86-64 CPU can have",
                null,
                "Linux prints \"DMAR: Host address width " + Dec(t.HostAddressWidth) + "\" and goes on; domain widths come from each unit's CAP.SAGAW/MGAW, so the value is only informative.",
                Dmar + " parse_dmar_table; VT-d spec §8.1 (HAW); Intel SDM Vol. 3A §4.1.4 (MAXPHYADDR ≤ 52)");
        }
        if (c.E820 is { } e820 && t.HostAddressWidth < 64)
        {
            var limit = 1UL << t.HostAddressWidth;
            var top = e820.Entries.Where(e => e.Type == E820Type.Usable).Select(e => e.Range.End.Value).DefaultIfEmpty(0UL).Max();
            if (top >= limit)
            {
                yield return F("haw-below-memory", DmarLintSeverity.Warning, 36,
                    $"usable RAM reaches {X(top)}, above the {t.HostAddressWidth}-bit host address width ({X(limit - 1)})",
                    null,
                    "Linux does not check this; DMA to RAM above the width cannot be addressed by the platform's remapping hardware.",
                    "VT-d spec §8.1 (Host Address Width: maximum DMA physical addressability)");
            }
        }
    }

    private static IEnumerable<DmarFinding> HeaderFlags(DmarTable t, DmarLintContext c)
    {
        if (t.X2ApicOptOut && !t.IntrRemap)
        {
            yield return F("flags-x2apic-opt-out-without-intr-remap", DmarLintSeverity.Warning, 37,
                "X2APIC_OPT_OUT (bit 1) is set without INTR_REMAP (bit 0); the spec defines it only with bit 0",
                null,
                "Linux reads the bit only when interrupt remapping is supported, so it has no effect.",
                "VT-d spec §8.1 (Flags); drivers/iommu/intel/irq_remapping.c dmar_x2apic_optout");
        }
        if ((t.Flags & 0xf8) != 0)
        {
            yield return F("flags-reserved", DmarLintSeverity.Warning, 37,
                $"reserved flag bits 7:3 are set (flags {X(t.Flags)})",
                null, "Linux ignores them.", "VT-d spec §8.1 (Flags bits 7:3 reserved)");
        }
    }

    private static IEnumerable<DmarFinding> StructureOrder(DmarTable t, DmarLintContext c)
    {
        for (var i = 1; i < t.Structures.Length; i++)
        {
            var prev = t.Structures[i - 1];
            var s = t.Structures[i];
            if (s.TypeCode < prev.TypeCode)
            {
                yield return F("structure-order", DmarLintSeverity.Warning, s.Offset,
                    $"{s.Kind} at {Dec(s.Offset)} follows a {prev.Kind}; remapping structures must appear in ascending type order",
                    null, "Linux walks the structures in any order; other OSes may not.",
                    "VT-d spec §8.1 (remapping structures reported in numerical type order); EDK2 IntelVTdDxe");
                yield break;
            }
        }
    }

    private static IEnumerable<DmarFinding> UnknownStructures(DmarTable t, DmarLintContext c)
    {
        foreach (var u in t.Structures.OfType<UnknownDmarStructure>())
        {
            yield return F("structure-unknown-type", DmarLintSeverity.Warning, u.Offset,
                $"structure type {Dec(u.RawType)} is reserved ({Dec(u.Length)} bytes)",
                $"DMAR: Unknown DMAR structure type {Dec(u.RawType)}",
                "Linux skips it for forward compatibility (pr_debug only).",
                Dmar + " dmar_walk_remapping_entries");
        }
    }

    private static IEnumerable<DmarFinding> NoDrhd(DmarTable t, DmarLintContext c)
    {
        if (t.Drhds.Any()) yield break;
        yield return F("no-drhd", DmarLintSeverity.Error, 0,
            "the table declares no remapping hardware unit (DRHD)",
            FwBug + "No DRHD structure found in DMAR table",
            "dmar_table_init: \"DMAR: No DMAR devices found\" (-ENODEV): VT-d is not used.",
            Dmar + " parse_dmar_table, dmar_table_init");
    }

    private static IEnumerable<DmarFinding> DrhdBase(DmarTable t, DmarLintContext c)
    {
        foreach (var d in t.Drhds)
        {
            if (d.RegisterBase == 0)
            {
                yield return F("drhd-base-zero", DmarLintSeverity.Error, d.Offset + 8,
                    "DRHD register base address is 0",
                    FwBug + "Your BIOS is broken; DMAR reported at address 0!",
                    "dmar_validate_one_drhd fails, so detect_intel_iommu never installs intel_iommu_init: VT-d (DMA and interrupt remapping) is disabled." + Taints,
                    Dmar + " dmar_validate_one_drhd, warn_invalid_dmar (older kernels: \"DMAR reported at address zero!\")");
            }
            else if ((d.RegisterBase & (PhysAddr.PageSize - 1)) != 0)
            {
                yield return F("drhd-base-unaligned", DmarLintSeverity.Warning, d.Offset + 8,
                    $"DRHD register base {X(d.RegisterBase)} is not 4 KiB aligned",
                    null,
                    "Linux maps the registers from that address anyway, so CAP/ECAP are read at the wrong offsets.",
                    "VT-d spec §10.4 (register set is page aligned); " + Dmar + " map_iommu");
            }
        }
    }

    private static IEnumerable<DmarFinding> DrhdAllOnes(DmarTable t, DmarLintContext c)
    {
        if (c.UnitRegisters is not { } regs) yield break;
        foreach (var d in t.Drhds)
        {
            if (regs.TryGetValue(d.RegisterBase, out var r) && r.Cap == ulong.MaxValue && r.Ecap == ulong.MaxValue)
            {
                yield return F("drhd-all-ones", DmarLintSeverity.Error, d.Offset + 8,
                    $"the unit at {X(d.RegisterBase)} reads CAP and ECAP as all ones: no remapping hardware answers there",
                    $"{FwBug}Your BIOS is broken; DMAR reported at address {d.RegisterBase:x} returns all ones!",
                    "dmar_validate_one_drhd fails: VT-d is disabled as a whole." + Taints,
                    Dmar + " dmar_validate_one_drhd, map_iommu, warn_invalid_dmar");
            }
        }
    }

    private static IEnumerable<DmarFinding> DuplicateDrhd(DmarTable t, DmarLintContext c)
    {
        var seen = new HashSet<(ushort, ulong)>();
        foreach (var d in t.Drhds)
        {
            if (!seen.Add((d.Segment, d.RegisterBase)))
            {
                yield return F("drhd-duplicate", DmarLintSeverity.Warning, d.Offset,
                    $"a second DRHD for segment {Dec(d.Segment)} base {X(d.RegisterBase)}",
                    null,
                    "dmar_parse_one_drhd finds the unit already registered and skips this structure, scopes included.",
                    Dmar + " dmar_parse_one_drhd, dmar_find_dmaru");
            }
        }
    }

    private static IEnumerable<DmarFinding> IncludeAll(DmarTable t, DmarLintContext c)
    {
        foreach (var segment in t.Drhds.GroupBy(d => d.Segment))
        {
            var units = segment.ToList();
            var all = units.Where(d => d.IncludePciAll).ToList();
            if (all.Count == 0)
            {
                yield return F("no-include-pci-all", DmarLintSeverity.Warning, units[0].Offset,
                    $"no DRHD of segment {Dec(segment.Key)} has INCLUDE_PCI_ALL; only the devices its scopes list are behind a remapping unit",
                    null,
                    "dmar_find_matched_drhd_unit returns NULL for every other device: Linux gives it no IOMMU, so its DMA is not remapped (nor isolated).",
                    Dmar + " dmar_find_matched_drhd_unit; VT-d spec §8.3");
            }
            foreach (var extra in all.Skip(1))
            {
                yield return F("include-pci-all-duplicate", DmarLintSeverity.Error, extra.Offset,
                    $"a second INCLUDE_PCI_ALL DRHD ({X(extra.RegisterBase)}) in segment {Dec(segment.Key)}; the first is {X(all[0].RegisterBase)}",
                    null,
                    "Linux matches every unlisted device to the first include-all unit, so devices really behind this one are programmed on the wrong unit and their DMA faults once translation is on.",
                    Dmar + " dmar_register_drhd_unit, dmar_find_matched_drhd_unit; VT-d spec §8.3 (one INCLUDE_PCI_ALL unit per segment)");
            }
            if (all.Count > 0 && !ReferenceEquals(units[^1], all[0]) && all.Count == 1)
            {
                yield return F("include-pci-all-not-last", DmarLintSeverity.Warning, all[0].Offset,
                    $"the INCLUDE_PCI_ALL DRHD ({X(all[0].RegisterBase)}) is not the last DRHD of segment {Dec(segment.Key)}",
                    null,
                    "Linux copes (it moves include-all units to the end of its list); the spec asks firmware to list it last.",
                    Dmar + " dmar_register_drhd_unit; VT-d spec §8.3");
            }
            foreach (var d in all.Where(d => d.Scopes.Any(s => s.Type is DeviceScopeType.Endpoint or DeviceScopeType.Bridge)))
            {
                yield return F("include-pci-all-with-pci-scopes", DmarLintSeverity.Warning, d.Offset,
                    $"the INCLUDE_PCI_ALL DRHD ({X(d.RegisterBase)}) also lists PCI endpoint/bridge scopes",
                    null,
                    "Linux ignores the PCI scopes of include-all units (dmar_pci_bus_add_dev skips them).",
                    Dmar + " dmar_pci_bus_add_dev; VT-d spec §8.3 (include-all units list only IOAPIC/HPET/ACPI scopes)");
            }
        }
    }

    private static IEnumerable<DmarFinding> RmrrShape(DmarTable t, DmarLintContext c)
    {
        foreach (var r in t.Rmrrs)
        {
            var bad = $"{FwBug}Your BIOS is broken; bad RMRR [{X018(r.Base)}-{X018(r.EndLimit)}]";
            if (r.EndLimit < r.Base)
            {
                yield return F("rmrr-end-before-start", DmarLintSeverity.Error, r.Offset + 16,
                    $"RMRR end {X(r.EndLimit)} is below its base {X(r.Base)}",
                    "Your BIOS is broken; RMRR ends before it starts! (2.6.32–5.x iommu_prepare_identity_map); modern: " + bad,
                    "2.6.32–5.x: WARN and -EIO, the device's identity map is not set up, so firmware DMA to the region faults. Modern: warns, taints, and still registers the nonsensical region.",
                    Iommu + " dmar_parse_one_rmrr, rmrr_sanity_check; 2.6.32 drivers/pci/intel-iommu.c iommu_prepare_identity_map");
                continue;
            }
            if (r.EndLimit == r.Base || (r.Base & (PhysAddr.PageSize - 1)) != 0 || ((r.EndLimit + 1) & (PhysAddr.PageSize - 1)) != 0)
            {
                yield return F("rmrr-unaligned", DmarLintSeverity.Warning, r.Offset + 8,
                    $"RMRR [{X(r.Base)}-{X(r.EndLimit)}] does not start on a 4 KiB page or does not end at the last byte of one",
                    bad,
                    "Linux warns and taints but still uses the RMRR, identity-mapping the whole pages it touches." + Taints,
                    Iommu + " rmrr_sanity_check, dmar_parse_one_rmrr; VT-d spec §8.4");
            }
            if (t.HostAddressWidth < 64 && (r.EndLimit >> t.HostAddressWidth) != 0)
            {
                yield return F("rmrr-beyond-haw", DmarLintSeverity.Warning, r.Offset + 16,
                    $"RMRR end {X(r.EndLimit)} is beyond the {t.HostAddressWidth}-bit host address width",
                    $"Your BIOS is broken; RMRR exceeds permitted address width ({t.HostAddressWidth} bits)",
                    "3.x–5.x kernels refuse the identity map (-EIO) when the end exceeds the domain's width; modern kernels register the region as is.",
                    "drivers/iommu/intel-iommu.c domain_prepare_identity_map (removed in 5.x)");
            }
        }
    }

    private static IEnumerable<DmarFinding> RmrrOverlap(DmarTable t, DmarLintContext c)
    {
        var rmrrs = t.Rmrrs.Where(r => r.EndLimit >= r.Base).ToList();
        for (var i = 0; i < rmrrs.Count; i++)
        {
            for (var j = i + 1; j < rmrrs.Count; j++)
            {
                var a = rmrrs[i];
                var b = rmrrs[j];
                if (a.Segment != b.Segment || a.Base > b.EndLimit || b.Base > a.EndLimit) continue;
                yield return F("rmrr-overlap", DmarLintSeverity.Warning, b.Offset,
                    $"RMRR [{X(b.Base)}-{X(b.EndLimit)}] overlaps RMRR [{X(a.Base)}-{X(a.EndLimit)}] at offset {Dec(a.Offset)}",
                    null,
                    "Linux keeps both; for a device in both scopes the reserved regions are merged (iommu_insert_resv_region) and mapped once.",
                    "drivers/iommu/iommu.c iommu_insert_resv_region; " + Iommu + " intel_iommu_get_resv_regions");
            }
        }
    }

    private static IEnumerable<DmarFinding> RmrrMemoryType(DmarTable t, DmarLintContext c)
    {
        if (c.E820 is not { } e820) yield break;
        foreach (var r in t.Rmrrs.Where(r => r.EndLimit >= r.Base))
        {
            var range = new PhysRange(r.Base, r.EndLimit);
            // Modern arch_rmrr_sanity_check: the whole range must lie in RESERVED, or wholly in ACPI NVS.
            if (e820.Covers(range, E820Type.Reserved) || e820.Covers(range, E820Type.Nvs)) continue;
            var usable = e820.Entries.Any(e => e.Type == E820Type.Usable && e.Range.Overlaps(range));
            var types = string.Join(", ", e820.Entries.Where(e => e.Range.Overlaps(range)).Select(e => e.KernelName).Distinct());
            yield return F("rmrr-not-reserved", usable ? DmarLintSeverity.Error : DmarLintSeverity.Warning, r.Offset + 8,
                $"RMRR [{X(r.Base)}-{X(r.EndLimit)}] is not wholly e820-reserved (overlaps: {(types.Length == 0 ? "no e820 entry" : types)})",
                $"{FwBug}No firmware reserved region can cover this RMRR [{X018(r.Base)}-{X018(r.EndLimit)}], contact BIOS vendor for fixes",
                (usable
                    ? "The page allocator owns part of the range, so firmware DMA (USB legacy, graphics) can overwrite kernel or user pages. "
                    : "")
                + "Linux then reports \"bad RMRR\", taints, and still identity-maps the RMRR for its devices.",
                "arch/x86/include/asm/iommu.h arch_rmrr_sanity_check; " + Iommu + " rmrr_sanity_check; VT-d spec §8.4 (RMRR memory must be reported reserved)");
        }
    }

    private static IEnumerable<DmarFinding> RmrrScopes(DmarTable t, DmarLintContext c)
    {
        foreach (var r in t.Rmrrs.Where(r => r.Scopes.IsEmpty))
        {
            yield return F("rmrr-no-scope", DmarLintSeverity.Warning, r.Offset,
                $"RMRR [{X(r.Base)}-{X(r.EndLimit)}] lists no device",
                null,
                "No device gets the region: it is neither identity-mapped nor reserved in any domain.",
                "VT-d spec §8.4 (at least one device scope); " + Dmar + " dmar_alloc_dev_scope");
        }
    }

    private static IEnumerable<DmarFinding> RhsaTarget(DmarTable t, DmarLintContext c)
    {
        var bases = t.Drhds.Select(d => d.RegisterBase).ToHashSet();
        foreach (var h in t.Structures.OfType<Rhsa>().Where(h => !bases.Contains(h.RegisterBase)))
        {
            yield return F("rhsa-orphan", DmarLintSeverity.Warning, h.Offset + 8,
                $"RHSA names register base {X(h.RegisterBase)}, which no DRHD has",
                $"{FwBug}Your BIOS is broken; RHSA refers to non-existent DMAR unit at {h.RegisterBase:x}",
                "The affinity is ignored (units stay NUMA_NO_NODE)." + Taints,
                Dmar + " dmar_parse_one_rhsa");
        }
    }

    private static IEnumerable<DmarFinding> AnddName(DmarTable t, DmarLintContext c)
    {
        foreach (var n in t.Structures.OfType<Andd>().Where(n => !n.NameTerminated))
        {
            yield return F("andd-name-unterminated", DmarLintSeverity.Error, n.Offset + 8,
                $"ANDD {Dec(n.DeviceNumber)} object name \"{n.ObjectName}\" has no NUL within the structure",
                FwBug + "Your BIOS is broken; ANDD object name is not NUL-terminated",
                "dmar_parse_one_andd returns -EINVAL, which aborts parse_dmar_table (\"DMAR: Parse DMAR table failure.\"): no DMA remapping." + Taints,
                Dmar + " dmar_parse_one_andd, parse_dmar_table");
        }
    }

    private static IEnumerable<DmarFinding> AnddScopes(DmarTable t, DmarLintContext c)
    {
        var namespaceIds = t.Drhds.SelectMany(d => d.Scopes).Where(s => s.Type == DeviceScopeType.AcpiNamespace).Select(s => s.EnumerationId).ToHashSet();
        var declared = t.Structures.OfType<Andd>().Select(n => n.DeviceNumber).ToHashSet();
        foreach (var n in t.Structures.OfType<Andd>().Where(n => !namespaceIds.Contains(n.DeviceNumber)))
        {
            yield return F("andd-no-scope", DmarLintSeverity.Warning, n.Offset,
                $"ANDD {Dec(n.DeviceNumber)} ({n.ObjectName}) is named by no DRHD namespace scope",
                $"DMAR: No IOMMU scope found for ANDD enumeration ID {Dec(n.DeviceNumber)} ({n.ObjectName})",
                "The ACPI device gets no IOMMU.",
                Dmar + " dmar_acpi_insert_dev_scope");
        }
        foreach (var d in t.Drhds)
        {
            foreach (var s in d.Scopes.Where(s => s.Type == DeviceScopeType.AcpiNamespace && !declared.Contains(s.EnumerationId)))
            {
                yield return F("namespace-scope-without-andd", DmarLintSeverity.Warning, s.Offset,
                    $"namespace scope {Dec(s.EnumerationId)} of DRHD {X(d.RegisterBase)} has no ANDD declaring that device number",
                    null, "The scope never matches a device.", Dmar + " dmar_acpi_dev_scope_init");
            }
        }
    }

    private static IEnumerable<DmarFinding> ScopeTypes(DmarTable t, DmarLintContext c)
    {
        foreach (var s in t.Structures)
        {
            foreach (var sc in s.Scopes)
            {
                if (!sc.IsKnownType)
                {
                    yield return F("scope-unsupported-type", DmarLintSeverity.Warning, sc.Offset,
                        $"{s.Kind} at {Dec(s.Offset)} has a device scope of reserved type {Dec((byte)sc.Type)}",
                        "DMAR: Unsupported device scope",
                        "The scope is ignored.",
                        Dmar + " dmar_alloc_dev_scope; VT-d spec §8.3.1");
                }
                else if (sc.Path.IsEmpty)
                {
                    yield return F("scope-empty-path", DmarLintSeverity.Warning, sc.Offset,
                        $"{s.Kind} at {Dec(s.Offset)} has a {DeviceScopeTypes.NameOf(sc.Type)} scope with no path",
                        null,
                        "dmar_match_pci_path can never match it; the scope is inert.",
                        Dmar + " dmar_match_pci_path; VT-d spec §8.3.1");
                }
            }
        }
    }

    private static IEnumerable<DmarFinding> ScopeDevices(DmarTable t, DmarLintContext c)
    {
        if (c.PciDevices is not { Count: > 0 } devices) yield break;
        foreach (var s in t.Structures)
        {
            foreach (var sc in s.Scopes.Where(x => x.Type is DeviceScopeType.Endpoint or DeviceScopeType.Bridge && !x.Path.IsEmpty))
            {
                var target = Resolve(sc, devices, out var known);
                if (!known) continue;
                if (target is null)
                {
                    yield return F("scope-device-absent", DmarLintSeverity.Warning, sc.Offset,
                        $"{s.Kind} at {Dec(s.Offset)} names {sc.Describe()}, which the log does not list",
                        null,
                        s is Rmrr ? "No device matches, so the RMRR is set up for nobody." : "No device matches; the scope is inert.",
                        Dmar + " dmar_insert_dev_scope, dmar_match_pci_path");
                    continue;
                }
                if (target.HeaderType is null) continue;
                var mismatch = sc.Type == DeviceScopeType.Endpoint
                    ? !target.IsNormalHeader
                    : target.IsNormalHeader && (target.ClassCode >> 16) != 0x06;
                if (mismatch)
                {
                    yield return F("scope-type-mismatch", DmarLintSeverity.Error, sc.Offset,
                        $"{s.Kind} at {Dec(s.Offset)} lists {target.Bdf} as a {DeviceScopeTypes.NameOf(sc.Type)}, but its header type is {Dec(target.HeaderType.Value & 0x7f)}",
                        $"DMAR: Device scope type does not match for 0000:{target.Bdf}",
                        "dmar_insert_dev_scope returns -EINVAL, dmar_dev_scope_init fails, and intel_iommu_init gives up: VT-d is not enabled.",
                        Dmar + " dmar_insert_dev_scope; " + Iommu + " intel_iommu_init");
                }
            }
        }
    }

    /// <summary>Follows a scope path through bridges' secondary buses; <paramref name="known"/> is false when a bus is unknown.</summary>
    private static PciDeviceFacts? Resolve(DeviceScope sc, IReadOnlyDictionary<Bdf, PciDeviceFacts> devices, out bool known)
    {
        known = true;
        var bus = sc.StartBus;
        PciDeviceFacts? current = null;
        for (var i = 0; i < sc.Path.Length; i++)
        {
            var hop = sc.Path[i];
            if (hop.Device > 0x1f || hop.Function > 7) return null;
            if (!devices.TryGetValue(new Bdf(bus, hop.Device, hop.Function), out current)) return null;
            if (i == sc.Path.Length - 1) break;
            if (current.SecondaryBus is not { } next)
            {
                known = false;
                return null;
            }
            bus = next;
        }
        return current;
    }
}
