using System.Globalization;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>A kernel release as `uname -r` / "Linux version" starts: 5.11.22-4-pve → 5.11.22; 2.6.32-rc5 → 2.6.32.</summary>
public readonly record struct KernelVersion(int Major, int Minor, int Patch) : IComparable<KernelVersion>
{
    public static bool TryParse(string? text, out KernelVersion version)
    {
        version = default;
        if (text is null) return false;
        // "1-3 digits . 1-3 digits [. 1-4 digits]" at the start, after leading blanks; asked on every map of
        // some eras, so read in place rather than through a Regex match (issue 13: a sweep cell's garbage).
        var s = text.AsSpan().TrimStart();
        var major = Digits(ref s, 3);
        if (major < 0 || !Dot(ref s)) return false;
        var minor = Digits(ref s, 3);
        if (minor < 0) return false;
        var rest = s;
        var patch = Dot(ref rest) ? Digits(ref rest, 4) : -1;
        version = new KernelVersion(major, minor, Math.Max(patch, 0));
        return true;
    }

    // The value of 1..max ASCII digits at the start of s (consumed), or -1 when there are none. Digits past
    // max are left in s, as the pattern's {1,max} leaves them unread.
    private static int Digits(ref ReadOnlySpan<char> s, int max)
    {
        var n = 0;
        while (n < s.Length && n < max && char.IsAsciiDigit(s[n])) n++;
        if (n == 0) return -1;
        var value = int.Parse(s[..n], NumberStyles.None, CultureInfo.InvariantCulture);
        s = s[n..];
        return value;
    }

    private static bool Dot(ref ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s[0] != '.') return false;
        s = s[1..];
        return true;
    }

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";

}

/// <summary>How init_dmars names a unit in its invalidation line (<see cref="LogDialect.InvalidationLine"/>).</summary>
public enum InvalidationWording
{
    /// <summary>By register base, with the seq id from 2.6.35 (<see cref="LogDialect.InvalidationLineHasUnitNumber"/>).</summary>
    RegisterBase,
    /// <summary>3.19 – 4.1: "IOMMU: dmar0 using Queued invalidation".</summary>
    IommuName,
    /// <summary>4.2+: "DMAR: dmar0: Using Queued invalidation".</summary>
    DmarName,
}

/// <summary>How alloc_iommu words its per-unit line.</summary>
public enum UnitLineStyle
{
    /// <summary>2.6.3x drivers/pci/dmar.c alloc_iommu: "IOMMU fed90000: ver 1:0 cap … ecap …" (a pr_debug there; printed here as the 2.6.32 profile always did).</summary>
    BaseOnly,
    /// <summary>3.x drivers/iommu/dmar.c alloc_iommu: pr_info("IOMMU %d: reg_base_addr %llx ver %d:%d cap %llx ecap %llx").</summary>
    SeqId,
    /// <summary>4.2+ alloc_iommu: pr_info("%s: reg_base_addr …", iommu->name) with name "dmar%d".</summary>
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
    /// come with 4.2's "Cleanup log messages" [R].
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
    /// "IOMMU: " in printk strings before 4.2, pr_fmt "DMAR: " after the 4.2 cleanup.
    /// </summary>
    public string IntelIommuPrefix { get; init; } = "IOMMU: ";

    /// <summary>
    /// Whether "Setting identity map for device %s [0x%Lx - 0x%Lx]" prints the RMRR's last byte (4.19:
    /// "[0xdf63e000 - 0xdf63ffff]") or the end + 1 that 2.6.32's iommu_prepare_identity_map passed on.
    /// </summary>
    public bool IdentityMapEndInclusive { get; init; }

    /// <summary>
    /// Where "No RMRR found" / "No ATSR found" print: 2.6.31 – 3.1 at the end of dmar_table_init (drivers/pci/dmar.c,
    /// under CONFIG_DMAR, so right after the parse lines and whether or not VT-d is then enabled); from 3.2 in
    /// intel_iommu_init after the dmar_disabled exit, only when DMA remapping starts (read in 2.6.31.3 – 3.1.10 and
    /// 3.2.7 – 6.1).
    /// </summary>
    public bool NoneFoundAtTableInit { get; init; }

    /// <summary>init_dmars' capability audit lines, 5.12+ (cap_audit.c, <see cref="Iommu.Intel.CapAudit"/>).</summary>
    public bool AuditsCapabilities { get; init; }

    /// <summary>6.1 renamed the audit's first feature from 5lp_support to fl5lp_support.</summary>
    public bool AuditNamesFl5lp { get; init; }

    /// <summary>intel_iommu=forcedac only warns that it is deprecated (3542dcb15cef "iommu/dma: Resurrect the \"forcedac\" option", 5.13).</summary>
    public bool ForcedacDeprecated { get; init; }

    /// <summary>
    /// intel_iommu=strict only warns that it is deprecated ("iommu: Deprecate Intel and AMD cmdline methods to enable strict
    /// mode" and "iommu/vt-d: Add support for IOMMU default DMA mode build options", both in the 5.15 pull).
    /// </summary>
    public bool StrictDeprecated { get; init; }

    /// <summary>
    /// The "No RMRR/ATSR/SATC found" lines for a table without such structures: PREFIX "DMAR:" or "DMAR: " in
    /// dmar_table_init (2.6.3x – 3.1), a literal "DMAR: " in intel_iommu_init (3.2 – 4.1), pr_fmt "DMAR: " after;
    /// the SATC line from 5.12 ("iommu/vt-d: Parse SATC reporting structure").
    /// </summary>
    public IEnumerable<string> NoneFoundLines(bool hasRmrr, bool hasAtsr, bool hasSatc)
    {
        var prefix = NoneFoundAtTableInit ? DmarPrefix : "DMAR: ";
        if (!hasRmrr) yield return prefix + "No RMRR found";
        if (!hasAtsr) yield return prefix + "No ATSR found";
        if (!hasSatc && PrintsSatc) yield return prefix + "No SATC found";
    }

    /// <summary>init_dmars' invalidation line carries the unit number: "IOMMU %d 0x%Lx: using … invalidation" (3.0) rather than "IOMMU 0x%Lx: …" (2.6.32).</summary>
    public bool InvalidationLineHasUnitNumber { get; init; }

    /// <summary>Whether the invalidation line names the unit by iommu->name, and how (<see cref="InvalidationLine"/>).</summary>
    public InvalidationWording Invalidation { get; init; }

    /// <summary>
    /// init_dmars' line for one unit's invalidation interface: "IOMMU 0x%Lx: using …" (2.6.28 – 2.6.34), "IOMMU %d 0x%Lx:
    /// using …" (2.6.35 – 3.18), intel_iommu_init_qi's "IOMMU: %s using …" (3.19 – 4.1, no pr_fmt in intel-iommu.c) and
    /// "%s: Using …" under pr_fmt "DMAR: " (4.2+); read in 2.6.32 – 4.1.15 and 4.2.8.
    /// </summary>
    public string InvalidationLine(int seq, string name, ulong registerBase, bool queued)
    {
        var how = queued ? "Queued" : "Register based";
        return Invalidation switch
        {
            InvalidationWording.DmarName => $"DMAR: {name}: Using {how} invalidation",
            InvalidationWording.IommuName => $"IOMMU: {name} using {how} invalidation",
            _ => (InvalidationLineHasUnitNumber ? $"IOMMU {seq} 0x{registerBase:x}" : $"IOMMU 0x{registerBase:x}") + $": using {how} invalidation",
        };
    }

    /// <summary>intel_iommu_init's last line on success: "PCI-DMA: " literal to 4.1, pr_fmt "DMAR: " from 4.2.</summary>
    public string VtdBanner() => (IntelIommuPrefix == "DMAR: " ? "DMAR: " : "PCI-DMA: ") + "Intel(R) Virtualization Technology for Directed I/O";

    /// <summary>
    /// intel_iommu_setup's line for each option it meets, printed while the command line is parsed: printk KERN_INFO with
    /// a literal "Intel-IOMMU: " to 4.1 ("enabled", "disabled", "disable GFX device mapping", "disable batched IOTLB flush",
    /// "Forcing DAC for PCI devices"), pr_info under "DMAR: " from 4.2 ("IOMMU enabled", "IOMMU disabled", "Disable GFX device
    /// mapping", "Disable batched IOTLB flush", "Forcing DAC for PCI devices"); forcedac (5.13) and strict (5.15) then only
    /// warn that they are deprecated (<see cref="ForcedacDeprecated"/>, <see cref="StrictDeprecated"/>).
    /// </summary>
    public string? IntelIommuOption(IntelIommuOption option) => option.Name is null
        ? (NoticesUnknownIntelIommuOption ? $"DMAR: Unknown option - '{option.Rest}'" : null)
        : IntelIommuOptionLine(option.Name);

    private string? IntelIommuOptionLine(string option) => (IntelIommuPrefix == "DMAR: ", option) switch
    {
        (_, "sm_on") => ScalableModeOptions switch
        {
            ScalableModeOptionWording.SmOn => "DMAR: Intel-IOMMU: scalable mode supported",
            ScalableModeOptionWording.SmOnSmOff => "DMAR: Enable scalable mode if hardware supports",
            _ => null,
        },
        (_, "sm_off") => ScalableModeOptions == ScalableModeOptionWording.SmOnSmOff ? "DMAR: Scalable mode is disallowed" : null,
        (true, "on") => "DMAR: IOMMU enabled",
        (true, "off") => "DMAR: IOMMU disabled",
        (true, "strict") => StrictDeprecated ? "DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead" : "DMAR: Disable batched IOTLB flush",
        (true, "forcedac") => ForcedacDeprecated ? "DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead" : "DMAR: Forcing DAC for PCI devices",
        (true, "igfx_off") => "DMAR: Disable GFX device mapping",
        (true, "sp_off") => "DMAR: Disable supported super page",
        (false, "on") => "Intel-IOMMU: enabled",
        (false, "off") => "Intel-IOMMU: disabled",
        (false, "strict") => "Intel-IOMMU: disable batched IOTLB flush",
        (false, "forcedac") => "Intel-IOMMU: Forcing DAC for PCI devices",
        (false, "igfx_off") => "Intel-IOMMU: disable GFX device mapping",
        (false, "sp_off") => KnowsSpOff ? "Intel-IOMMU: disable supported super page" : null,
        (_, "tboot_noforce") => TbootNoforceLine,
        _ => null,
    };

    /// <summary>
    /// intel_iommu=tboot_noforce's line, or null in a release that does not know the option: from bfd20f1cc850 "x86,
    /// iommu/vt-d: Add an option to disable Intel IOMMU force on" (4.12 [R: absent from 4.9, present in 4.14 by the stable
    /// bot's dependency lists; its fix 7304e8f28bb2 is of 2017-06-08]), a printk(KERN_INFO) with a literal "Intel-IOMMU: "
    /// (still so in the 5.3 source); pr_info under "DMAR: " from "iommu/vt-d: Unify format of the printed messages"
    /// (posted 2020-05-07; listed in the IOMMU pull for v5.8; 5.10 – 6.12 read). The option stops a TXT (tboot) launch
    /// from forcing VT-d on, and the model has no tboot; with VT-d off, intel_iommu_init also disables the protected
    /// memory regions of units whose CAP has PLMR or PHMR, which the model does not model (its units keep PMEN at 0,
    /// as QEMU's report no PMRs). So the line is all that differs.
    /// </summary>
    public string? TbootNoforceLine { get; init; }

    private const string TbootNoforceText = "Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot";

    /// <summary>
    /// intel_iommu_setup knows sp_off (intel_iommu_superpage = 0): from the superpage support of 3.0 (printk "Intel-IOMMU:
    /// disable supported super page"; pr_info "Disable supported super page" under "DMAR: " from 4.2). The model maps no
    /// superpages in any era, which is what sp_off asks for, so only its line differs. 2.6.39 is not pinned either way.
    /// </summary>
    public bool KnowsSpOff { get; init; }

    /// <summary>
    /// intel_iommu_setup's notice for an option it does not know, "Unknown option - '…'" with the rest of the parameter from
    /// that option on: 5240aed2cd25 "iommu/vt-d: Do not falsely log intel_iommu is unsupported kernel option" (5.16; in
    /// the 5.15 stable series from 5.15.5, whose announcement lists it). Earlier releases skip such an option silently: the
    /// stable round that took it into 5.15.5 (sashal/linux-stable pending queues of 2021-11-21, read) did not queue it for
    /// 5.10 or 5.4, and 5.14.21, the last 5.14, shipped 15 other patches.
    /// </summary>
    public bool NoticesUnknownIntelIommuOption { get; init; }

    /// <summary>
    /// iommu_group_add_device's line, 4.2 – 5.0: pr_info("Adding device %s to group %d") under pr_fmt "iommu: " (silent
    /// from 3.6, when groups arrived, to 4.1); 5.1 made it dev_info "Adding to iommu group %d" (780da9e4f5bf "iommu: Use
    /// dev_printk() when possible"), which the default-domain profiles print themselves.
    /// </summary>
    public bool PrintsGroupAdds { get; init; }

    /// <summary>
    /// register_pasid_allocator's "VT-d Scalable Mode not enabled, no PASID allocation": 3375303e8287 "iommu/vt-d: Add custom
    /// allocator for IOASID" (5.8) to 760f41d182ec "iommu/vt-d: Remove virtual command interface" (6.4).
    /// </summary>
    public bool WarnsNoPasidAllocation { get; init; }

    /// <summary>CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON defaults to y (792fb43ce2c9, 5.15).</summary>
    public bool ScalableModeByDefault { get; init; }

    /// <summary>Which of intel_iommu=sm_on / sm_off intel_iommu_setup knows, and how it words them (<see cref="ScalableModeOptionWording"/>).</summary>
    public ScalableModeOptionWording ScalableModeOptions { get; init; }

    /// <summary>Which lines interrupt remapping prints after the table's parse, and in which words (<see cref="IrqRemappingWording"/>).</summary>
    public IrqRemappingWording IrqRemapping { get; init; }

    /// <summary>How swiotlb_print_info words the pool (lib/swiotlb.c, kernel/dma/swiotlb.c from 4.17).</summary>
    public SwiotlbInfoWording SwiotlbInfo { get; init; } = SwiotlbInfoWording.Placing;

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
    /// pr_fmt "DMAR: " after the 4.2 cleanup (read in a 4.x intel-iommu.c, dev_prepare_static_identity_mapping).
    /// </summary>
    public string StaticIdentityMapping(bool hardware, string pciName) => IntelIommuPrefix == "DMAR: "
        ? $"DMAR: {(hardware ? "Hardware" : "Software")} identity mapping for device {pciName}"
        : $"IOMMU: {(hardware ? "hardware" : "software")} identity mapping for device {pciName}";

    /// <summary>"Prepare 0-16MiB unity mapping for LPC" (iommu_prepare_isa).</summary>
    public string LpcUnityMap() => IntelIommuPrefix + "Prepare 0-16MiB unity mapping for LPC";

    /// <summary>2.6.32 … 3.4: drivers/pci/dmar.c "#define PREFIX "DMAR: "" (2.6.32.y stable trees), printk(KERN_INFO PREFIX "Host address width %d\n").</summary>
    public static readonly LogDialect Pci26 = new("2.6", "DMAR: ", UnitLineStyle.BaseOnly, false, false, false, true,
        "drivers/pci/dmar.c (2.6.32.y): #define PREFIX \"DMAR: \"; alloc_iommu pr_info(\"IOMMU %llx: ver %d:%d cap %llx ecap %llx\")")
    {
        NoneFoundAtTableInit = true,
    };

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

    /// <summary>
    /// 4.2–5.11: pr_fmt "DMAR: " in dmar.c and intel-iommu.c, and iommu->name ("iommu/vt-d: Cleanup log messages", Joerg
    /// Roedel, 2015 [R title]; 4.1.15 still has dmar.c's "dmar: " and intel-iommu.c's bare printks, 4.2.8 the new wording).
    /// </summary>
    public static readonly LogDialect Dmar42 = Iommu315 with
    {
        Name = "4.2",
        DmarPrefix = "DMAR: ",
        ParseFailureCapitalised = true,
        Unit = UnitLineStyle.Name,
        IntelIommuPrefix = "DMAR: ",
        Invalidation = InvalidationWording.DmarName,
        PrintsGroupAdds = true,
        Source = "drivers/iommu/dmar.c (4.2+; drivers/iommu/intel/dmar.c from 5.8): #define pr_fmt(fmt) \"DMAR: \" fmt; alloc_iommu pr_info(\"%s: reg_base_addr %llx ver %d:%d cap %llx ecap %llx\", iommu->name)",
    };

    /// <summary>4.12+ wording: as 4.2, with the e820 header and last_pfn printed without the "e820: " prefix.</summary>
    private static readonly LogDialect _dmar412 = Dmar42 with { E820HeaderPrefix = "", LastPfnPrefix = "" };

    /// <summary>5.12+: dmar_table_print_dmar_entry also prints pr_info("SATC flags: 0x%x") (SATC parsing, 5.12).</summary>
    public static readonly LogDialect Dmar512 = Dmar42 with
    {
        PrintsGroupAdds = false,
        Name = "5.12",
        PrintsSatc = true,
        AuditsCapabilities = true,
        E820HeaderPrefix = "",
        LastPfnPrefix = "",
        Source = "drivers/iommu/intel/dmar.c (5.12+): dmar_table_print_dmar_entry case ACPI_DMAR_TYPE_SATC pr_info(\"SATC flags: 0x%x\"); cap_audit.c (5.12+)",
    };

    /// <summary>6.1+: the audit's first feature prints as fl5lp_support.</summary>
    private static readonly LogDialect _dmar61 = Dmar512 with { Name = "6.1", AuditNamesFl5lp = true, ForcedacDeprecated = true, StrictDeprecated = true };

    /// <summary>
    /// The dialect of a run. Without a version the profile's own era decides, as before versions existed:
    /// the legacy profiles print 2.6.32's wording, the modern ones 6.1.0's (with last_pfn's older "e820: " prefix).
    /// </summary>
    public static LogDialect For(KernelProfile profile, string? version)
    {
        ArgumentNullException.ThrowIfNull(profile);
        // Without a version: exactly the wording the profiles printed before versions existed.
        if (!KernelVersion.TryParse(version, out var v))
            return profile.LogStyle.Value == LogStyle.Legacy ? Legacy(profile.LegacyWording.Value) : Versioned(new KernelVersion(6, 1, 0)) with { LastPfnPrefix = "e820: " };
        return Versioned(v);
    }

    /// <summary>A release's dialect: its DMAR wording, then the lines of the other subsystems that changed by release.</summary>
    private static LogDialect Versioned(KernelVersion v) =>
        ForRelease(v) with
        {
            SwiotlbInfo = SwiotlbInfoFor(v),
            IrqRemapping = IrqRemappingFor(v),
            WarnsNoPasidAllocation = v >= new KernelVersion(5, 8, 0) && v < new KernelVersion(6, 4, 0),
            ScalableModeByDefault = v >= new KernelVersion(5, 15, 0),
            KnowsSpOff = v >= new KernelVersion(3, 0, 0),
            TbootNoforceLine = v >= new KernelVersion(5, 8, 0) ? "DMAR: " + TbootNoforceText
                : v >= new KernelVersion(4, 12, 0) ? TbootNoforceText
                : null,
            NoticesUnknownIntelIommuOption = v >= new KernelVersion(5, 16, 0) || (v.Major == 5 && v.Minor == 15 && v >= new KernelVersion(5, 15, 5)),
            ScalableModeOptions = v < new KernelVersion(5, 0, 0) ? ScalableModeOptionWording.None
                : v < new KernelVersion(5, 15, 0) ? ScalableModeOptionWording.SmOn
                : ScalableModeOptionWording.SmOnSmOff,
        };

    /// <summary>
    /// drivers/iommu/intel_irq_remapping.c by release (3.14.1, 3.17 log, 3.19.8, 4.0.0, 4.1.19, 4.2.8 read): before 3.14 not
    /// modelled; 3.14 – 3.19 no prefix and the queued-invalidation line for every x2APIC CPU; 4.0 that line only in extended
    /// mode; 4.1 the opt-out message on one line; 4.2+ the "DMAR-IR: " prefix and the opt-out message split in two.
    /// </summary>
    private static IrqRemappingWording IrqRemappingFor(KernelVersion v) =>
        v < new KernelVersion(3, 14, 0) ? IrqRemappingWording.None
        : v < new KernelVersion(4, 0, 0) ? IrqRemappingWording.V314
        : v < new KernelVersion(4, 1, 0) ? IrqRemappingWording.V40
        : v < new KernelVersion(4, 2, 0) ? IrqRemappingWording.V41
        : IrqRemappingWording.Prefixed;

    /// <summary>
    /// swiotlb_print_info by release: "Placing …" to 3.5; "[mem …] (64MB) mapped at [%p-%p]" from 3.6 [R: 3.5 or 3.6, between a
    /// 3.4 and a 3.6 tree]; 7d63fb3af87a "swiotlb: clean up reporting" (CVE-2018-5953; in 4.19, not in 4.18 [R: from dated
    /// trees]); "swiotlb: Use %pa to print phys_addr_t variables" (5.10 [R: absent in 5.4, present in 5.10.13]).
    /// </summary>
    private static SwiotlbInfoWording SwiotlbInfoFor(KernelVersion v) =>
        v < new KernelVersion(3, 6, 0) ? SwiotlbInfoWording.Placing
        : v < new KernelVersion(4, 15, 0) ? SwiotlbInfoWording.MemMappedAt
        : v < new KernelVersion(4, 19, 0) ? SwiotlbInfoWording.MemMappedAtHashed
        : v < new KernelVersion(5, 10, 0) ? SwiotlbInfoWording.Mapped
        : SwiotlbInfoWording.MappedPa;

    private static LogDialect ForRelease(KernelVersion v)
    {
        if (v < new KernelVersion(2, 6, 32)) return Pci2631;
        if (v < new KernelVersion(3, 0, 0)) return Pci26;
        // The move to drivers/iommu/ and pr_fmt(KBUILD_MODNAME) happened within 3.x; before 3.5 the
        // kernel still used PREFIX "DMAR:" (see docs/real-machines.md: the exact release is not pinned).
        if (v < new KernelVersion(3, 2, 0)) return _pci26MemE820;
        if (v < new KernelVersion(3, 6, 0)) return _pci26MemE820 with { NoneFoundAtTableInit = false };
        if (v < new KernelVersion(3, 15, 0)) return Iommu3;
        if (v < new KernelVersion(3, 19, 0)) return Iommu315;
        if (v < new KernelVersion(4, 2, 0)) return Iommu315 with { Name = "3.19", Invalidation = InvalidationWording.IommuName };
        if (v < new KernelVersion(4, 12, 0)) return Dmar42;
        if (v < new KernelVersion(5, 1, 0)) return _dmar412;
        if (v < new KernelVersion(5, 12, 0)) return _dmar412 with { PrintsGroupAdds = false };
        if (v < new KernelVersion(6, 1, 0))
            return Dmar512 with { ForcedacDeprecated = v >= new KernelVersion(5, 13, 0), StrictDeprecated = v >= new KernelVersion(5, 15, 0) };
        return _dmar61;
    }

    /// <summary>The unversioned legacy wording: 2.6.32's lines with the profile's era details.</summary>
    private static LogDialect Legacy(LegacyLogWording w) => Pci26 with
    {
        KnowsSpOff = w.KnowsSpOff,
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

/// <summary>Interrupt remapping's lines after the DMAR parse, by release.</summary>
public enum IrqRemappingWording
{
    /// <summary>Not modelled (before 3.14, and the unversioned legacy profiles).</summary>
    None,
    /// <summary>3.14 – 3.19: no prefix; "Queued invalidation will be enabled …" for every x2APIC CPU; a three-line opt-out warning.</summary>
    V314,
    /// <summary>4.0: no prefix; the queued-invalidation line only in extended interrupt mode; the three-line warning.</summary>
    V40,
    /// <summary>4.1: no prefix; the opt-out message as one line.</summary>
    V41,
    /// <summary>4.2+: pr_fmt "DMAR-IR: "; the opt-out message as two lines; "dmarN does not support EIM".</summary>
    Prefixed,
}

/// <summary>
/// intel_iommu=sm_on / sm_off in intel_iommu_setup, as mainline x.y.0 releases word them: unknown before 5.0; sm_on from
/// 5.0 ("Intel-IOMMU: scalable mode supported", with "iommu/vt-d: Leave scalable mode default off"); from 5.15
/// (792fb43ce2c9, which made scalable mode the Kconfig default) sm_on says "Enable scalable mode if hardware supports" and
/// sm_off "Scalable mode is disallowed". Either takes effect only on a unit with ECAP.SMTS (sm_supported). A later stable
/// backport prints "Unknown option" for an option its release does not know (NoticesUnknownIntelIommuOption, 5.16 and 5.15.5+).
/// </summary>
public enum ScalableModeOptionWording
{
    None,
    SmOn,
    SmOnSmOff,
}
