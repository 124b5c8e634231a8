using System.Globalization;
using System.Text.RegularExpressions;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>A kernel release as `uname -r` / "Linux version" starts: 5.11.22-4-pve → 5.11.22; 2.6.32-rc5 → 2.6.32.</summary>
public readonly partial record struct KernelVersion(int Major, int Minor, int Patch) : IComparable<KernelVersion>
{
    public static bool TryParse(string? text, out KernelVersion version)
    {
        version = default;
        if (text is null) return false;
        var m = Leading().Match(text.Trim());
        if (!m.Success) return false;
        static int N(Group g) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
        version = new KernelVersion(N(m.Groups[1]), N(m.Groups[2]), N(m.Groups[3]));
        return true;
    }

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";

    [GeneratedRegex(@"^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?")]
    private static partial Regex Leading();
}

/// <summary>How alloc_iommu words its per-unit line.</summary>
public enum UnitLineStyle
{
    /// <summary>2.6.3x drivers/pci/dmar.c alloc_iommu: "IOMMU fed90000: ver 1:0 cap … ecap …" (a pr_debug there; printed here as the 2.6.32 profile always did).</summary>
    BaseOnly,
    /// <summary>3.x drivers/iommu/dmar.c alloc_iommu: pr_info("IOMMU %d: reg_base_addr %llx ver %d:%d cap %llx ecap %llx").</summary>
    SeqId,
    /// <summary>4.1+ alloc_iommu: pr_info("%s: reg_base_addr …", iommu->name) with name "dmar%d".</summary>
    Name,
}

/// <summary>
/// The wording of the DMAR parse lines of one kernel release (parse_dmar_table, dmar_table_print_dmar_entry,
/// alloc_iommu, dmar_parse_one_andd), chosen from the profile and, when the scenario names it, the exact
/// version. Sources per dialect are in <see cref="Source"/>; docs/real-machines.md lists the cut-over points.
/// </summary>
public sealed record LogDialect(
    string Name,
    string DmarPrefix,
    UnitLineStyle Unit,
    bool PrintsRhsa,
    bool PrintsAndd,
    bool PrintsSatc,
    bool WarnsUnknownStructure,
    string Source)
{
    /// <summary>
    /// e820 map wording: 2.6.3x e820_print_map " BIOS-e820: %016Lx - %016Lx (type)" (end exclusive); 3.x
    /// "BIOS-e820: [mem %#018Lx-%#018Lx] type" under pr_fmt "e820: " for the header and last_pfn; later
    /// kernels (arch/x86/kernel/e820.c after the 4.x e820__* rework) print the header and last_pfn bare.
    /// </summary>
    public bool E820MemFormat { get; init; }

    /// <summary>
    /// dmar_table_init when parse_dmar_table fails with anything but -ENODEV: 2.6.3x and 3.x
    /// printk(KERN_INFO PREFIX "parse DMAR table failure.\n") (read in a 2.6.3x tree); capitalised,
    /// pr_info("Parse DMAR table failure.\n") under pr_fmt "DMAR: ", in 5.10 (a real 5.10 log) — taken to
    /// come with 4.1's "Cleanup log messages" [R].
    /// </summary>
    public bool ParseFailureCapitalised { get; init; }

    /// <summary>"parse DMAR table failure." in this release's wording.</summary>
    public string ParseFailureLine() => $"{DmarPrefix}{(ParseFailureCapitalised ? "Parse" : "parse")} DMAR table failure.";

    /// <summary>Prefix of "BIOS-provided physical RAM map:" ("" or "e820: ").</summary>
    public string E820HeaderPrefix { get; init; } = "";

    /// <summary>Prefix of "last_pfn = … max_arch_pfn = …" ("" or "e820: ").</summary>
    public string LastPfnPrefix { get; init; } = "";

    /// <summary>
    /// Prefix of intel-iommu.c's own lines (init_dmars' "Setting RMRR:", the identity-map lines): the literal
    /// "IOMMU: " in printk strings before 4.1, pr_fmt "DMAR: " after the 4.1 cleanup.
    /// </summary>
    public string IntelIommuPrefix { get; init; } = "IOMMU: ";

    /// <summary>
    /// Whether "Setting identity map for device %s [0x%Lx - 0x%Lx]" prints the RMRR's last byte (4.19:
    /// "[0xdf63e000 - 0xdf63ffff]") or the end + 1 that 2.6.32's iommu_prepare_identity_map passed on.
    /// </summary>
    public bool IdentityMapEndInclusive { get; init; }

    /// <summary>init_dmars' invalidation line carries the unit number: "IOMMU %d 0x%Lx: using … invalidation" (3.0) rather than "IOMMU 0x%Lx: …" (2.6.32).</summary>
    public bool InvalidationLineHasUnitNumber { get; init; }

    /// <summary>init_dmars' line for one unit's invalidation interface (legacy wording; 4.1+ print "%s: Using … invalidation").</summary>
    public string InvalidationLine(int seq, ulong registerBase, bool queued) =>
        (InvalidationLineHasUnitNumber ? $"IOMMU {seq} 0x{registerBase:x}" : $"IOMMU 0x{registerBase:x}") + $": using {(queued ? "Queued" : "Register based")} invalidation";

    /// <summary>"Setting RMRR:" (init_dmars, before the per-device identity maps).</summary>
    public string SettingRmrr() => IntelIommuPrefix + "Setting RMRR:";

    /// <summary>"Setting identity map for device 0000:01:04.0 [0xdf63e000 - 0xdf63ffff]" (iommu_prepare_identity_map / domain_prepare_identity_map).</summary>
    public string IdentityMap(string pciName, ulong start, ulong lastByte) =>
        $"{IntelIommuPrefix}Setting identity map for device {pciName} [0x{start:x} - 0x{(IdentityMapEndInclusive ? lastByte : lastByte + 1):x}]";

    /// <summary>
    /// iommu_prepare_identity_map for a device in the hardware pass-through si_domain: a bare printk("Ignoring identity
    /// map for HW passthrough device %s [0x%Lx - 0x%Lx]") in 2.6.32 – 3.x, pr_warn under pr_fmt "DMAR: " from 4.1;
    /// the end as the identity-map line prints it.
    /// </summary>
    public string IgnoringIdentityMap(string pciName, ulong start, ulong lastByte) =>
        $"{(IntelIommuPrefix == "DMAR: " ? IntelIommuPrefix : "")}Ignoring identity map for HW passthrough device {pciName} [0x{start:x} - 0x{(IdentityMapEndInclusive ? lastByte : lastByte + 1):x}]";

    /// <summary>
    /// iommu_prepare_static_identity_mapping's line per device put in si_domain: "IOMMU: hardware identity mapping
    /// for device %s" (2.6.32 – 3.x), pr_info("%s identity mapping for device %s") with "Hardware"/"Software" under
    /// pr_fmt "DMAR: " after the 4.1 cleanup (read in a 4.x intel-iommu.c, dev_prepare_static_identity_mapping).
    /// </summary>
    public string StaticIdentityMapping(bool hardware, string pciName) => IntelIommuPrefix == "DMAR: "
        ? $"DMAR: {(hardware ? "Hardware" : "Software")} identity mapping for device {pciName}"
        : $"IOMMU: {(hardware ? "hardware" : "software")} identity mapping for device {pciName}";

    /// <summary>"Prepare 0-16MiB unity mapping for LPC" (iommu_prepare_isa).</summary>
    public string LpcUnityMap() => IntelIommuPrefix + "Prepare 0-16MiB unity mapping for LPC";

    /// <summary>2.6.32 … 3.4: drivers/pci/dmar.c "#define PREFIX "DMAR: "" (2.6.32.y stable trees), printk(KERN_INFO PREFIX "Host address width %d\n").</summary>
    public static readonly LogDialect Pci26 = new("2.6", "DMAR: ", UnitLineStyle.BaseOnly, false, false, false, true,
        "drivers/pci/dmar.c (2.6.32.y): #define PREFIX \"DMAR: \"; alloc_iommu pr_info(\"IOMMU %llx: ver %d:%d cap %llx ecap %llx\")");

    /// <summary>Before 2.6.32: "#undef PREFIX / #define PREFIX "DMAR:"" (no space).</summary>
    public static readonly LogDialect Pci2631 = Pci26 with { Name = "2.6.31", DmarPrefix = "DMAR:" };

    /// <summary>3.0 … 3.4: 2.6.32's DMAR wording with 3.x's e820 lines, the unit number in the invalidation line and the RMRR's inclusive end.</summary>
    private static readonly LogDialect _pci26MemE820 = Pci26 with
    {
        E820MemFormat = true,
        E820HeaderPrefix = "e820: ",
        LastPfnPrefix = "e820: ",
        InvalidationLineHasUnitNumber = true,
        IdentityMapEndInclusive = true,
    };

    /// <summary>3.x: drivers/iommu/dmar.c "#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt" → "dmar: "; alloc_iommu pr_info("IOMMU %d: reg_base_addr …").</summary>
    public static readonly LogDialect Iommu3 = new("3.x", "dmar: ", UnitLineStyle.SeqId, true, false, false, true,
        "drivers/iommu/dmar.c (3.x): pr_fmt KBUILD_MODNAME \": \"; dmar_table_print_dmar_entry DRHD/RMRR/ATSR/RHSA; parse_dmar_table default: pr_warn(\"Unknown DMAR structure type %d\")")
    {
        E820MemFormat = true,
        E820HeaderPrefix = "e820: ",
        LastPfnPrefix = "e820: ",
        IdentityMapEndInclusive = true,
        InvalidationLineHasUnitNumber = true,
    };

    /// <summary>3.15–4.0: as 3.x plus dmar_parse_one_andd's pr_info("ANDD device: %x name: %s"); unknown types only pr_debug (dmar_walk_remapping_entries).</summary>
    public static readonly LogDialect Iommu315 = Iommu3 with
    {
        Name = "3.15",
        PrintsAndd = true,
        WarnsUnknownStructure = false,
        Source = "drivers/iommu/dmar.c (3.15+): dmar_parse_one_andd pr_info(\"ANDD device: %x name: %s\"); dmar_walk_remapping_entries pr_debug for unknown types",
    };

    /// <summary>4.1–5.11: pr_fmt "DMAR: " and iommu->name ("iommu/vt-d: Cleanup log messages", Joerg Roedel, 2015).</summary>
    public static readonly LogDialect Dmar41 = Iommu315 with
    {
        Name = "4.1",
        DmarPrefix = "DMAR: ",
        ParseFailureCapitalised = true,
        Unit = UnitLineStyle.Name,
        IntelIommuPrefix = "DMAR: ",
        Source = "drivers/iommu/dmar.c (4.1+; drivers/iommu/intel/dmar.c from 5.8): #define pr_fmt(fmt) \"DMAR: \" fmt; alloc_iommu pr_info(\"%s: reg_base_addr %llx ver %d:%d cap %llx ecap %llx\", iommu->name)",
    };

    /// <summary>4.12+ wording: as 4.1, with the e820 header and last_pfn printed without the "e820: " prefix.</summary>
    private static readonly LogDialect _dmar412 = Dmar41 with { E820HeaderPrefix = "", LastPfnPrefix = "" };

    /// <summary>5.12+: dmar_table_print_dmar_entry also prints pr_info("SATC flags: 0x%x") (SATC parsing, 5.12).</summary>
    public static readonly LogDialect Dmar512 = Dmar41 with
    {
        Name = "5.12",
        PrintsSatc = true,
        E820HeaderPrefix = "",
        LastPfnPrefix = "",
        Source = "drivers/iommu/intel/dmar.c (5.12+): dmar_table_print_dmar_entry case ACPI_DMAR_TYPE_SATC pr_info(\"SATC flags: 0x%x\")",
    };

    /// <summary>
    /// The dialect of a run. Without a version the profile's own era decides, as before versions existed:
    /// the legacy profiles print 2.6.32's wording, the modern one 6.x's.
    /// </summary>
    public static LogDialect For(KernelProfile profile, string? version)
    {
        ArgumentNullException.ThrowIfNull(profile);
        // Without a version: exactly the wording the profiles printed before versions existed.
        if (!KernelVersion.TryParse(version, out var v)) return profile.LogStyle.Value == LogStyle.Legacy ? Legacy(profile.LegacyWording.Value) : Dmar512 with { LastPfnPrefix = "e820: " };
        if (v < new KernelVersion(2, 6, 32)) return Pci2631;
        if (v < new KernelVersion(3, 0, 0)) return Pci26;
        // The move to drivers/iommu/ and pr_fmt(KBUILD_MODNAME) happened within 3.x; before 3.5 the
        // kernel still used PREFIX "DMAR:" (see docs/real-machines.md: the exact release is not pinned).
        if (v < new KernelVersion(3, 5, 0)) return _pci26MemE820;
        if (v < new KernelVersion(3, 15, 0)) return Iommu3;
        if (v < new KernelVersion(4, 1, 0)) return Iommu315;
        if (v < new KernelVersion(4, 12, 0)) return Dmar41;
        if (v < new KernelVersion(5, 12, 0)) return _dmar412;
        return Dmar512;
    }

    /// <summary>The unversioned legacy wording: 2.6.32's lines with the profile's era details.</summary>
    private static LogDialect Legacy(LegacyLogWording w) => Pci26 with
    {
        DmarPrefix = w.DmarPrefix,
        InvalidationLineHasUnitNumber = w.InvalidationLineHasUnitNumber,
        IdentityMapEndInclusive = w.IdentityMapEndInclusive,
    };

    /// <summary>parse_dmar_table: pr_info("Host address width %d\n", dmar->width + 1).</summary>
    public string HostAddressWidth(int haw) => $"{DmarPrefix}Host address width {haw}";

    /// <summary>The line alloc_iommu prints for the <paramref name="seq"/>-th unit (dmar_seq_ids / iommu_allocated order).</summary>
    public string UnitLine(int seq, ulong registerBase, uint ver, ulong cap, ulong ecap)
    {
        var v = $"ver {(ver >> 4) & 0xf}:{ver & 0xf} cap {cap:x} ecap {ecap:x}";
        return Unit switch
        {
            UnitLineStyle.BaseOnly => $"IOMMU {registerBase:x}: {v}",
            UnitLineStyle.SeqId => $"{DmarPrefix}IOMMU {seq}: reg_base_addr {registerBase:x} {v}",
            _ => $"{DmarPrefix}dmar{seq}: reg_base_addr {registerBase:x} {v}",
        };
    }

    /// <summary>What dmar_table_print_dmar_entry (or dmar_parse_one_andd) prints for one structure; null when this release prints nothing.</summary>
    public string? StructureLine(DmarLogEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var printed = e.Type switch
        {
            "DRHD" or "RMRR" or "ATSR" => true,
            "RHSA" => PrintsRhsa,
            "ANDD" => PrintsAndd,
            "SATC" => PrintsSatc,
            _ => false,
        };
        if (printed) return DmarPrefix + e.Text;
        return WarnsUnknownStructure ? $"{DmarPrefix}Unknown DMAR structure type {e.TypeNumber}" : null;
    }
}
