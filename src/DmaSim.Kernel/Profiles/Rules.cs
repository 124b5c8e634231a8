namespace DmaSim.Kernel.Profiles;

/// <summary>One decision of a kernel era and where it comes from (path + function, or commit title).</summary>
public sealed record Rule<T>(T Value, string Source) : IRule
{
    object? IRule.BoxedValue => Value;

    public override string ToString() => $"{Value} ({Source})";
}

/// <summary>A rule whatever its value's type, so ProfileMix compares and describes rules without reflecting over <see cref="Rule{T}"/>'s closed types (trim-safe for Native AOT).</summary>
public interface IRule
{
    object? BoxedValue { get; }

    string Source { get; }
}

/// <summary>
/// The broad kernel generation a profile belongs to: a label for people and reports. Model code never
/// branches on it (ArchitectureTests); every difference it stands for is a named rule of the profile.
/// </summary>
public enum Era
{
    /// <summary>2.6.31: hardware pass-through devices use swiotlb dma ops.</summary>
    T0,
    /// <summary>2.6.32: si_domain, intel_dma_ops for identity devices, lazy runtime re-evaluation.</summary>
    T1,
    /// <summary>2.6.33: swiotlb fallback when VT-d init fails.</summary>
    T2,
    /// <summary>2.6.39 / 3.0: mask-aware identity check, coherent IOVAs below the coherent mask.</summary>
    T3,
    /// <summary>Modern (6.x): IOMMU-core default domains, dma-direct and dma-iommu.</summary>
    T4,
}

/// <summary>Which dma ops a device in hardware pass-through gets.</summary>
public enum PassThroughOps
{
    /// <summary>swiotlb (or nommu) dma ops: the 2.6.31 design of 4ed0d3e6c64c.</summary>
    Swiotlb,
    /// <summary>intel_dma_ops with the runtime iommu_no_mapping check (19943b0e).</summary>
    IntelDmaOps,
    /// <summary>No ops at all: dma-direct (modern identity default domain).</summary>
    DmaDirect,
}

/// <summary>How intel_alloc_coherent treats the zone flags for an identity-mapped device.</summary>
public enum IdentityCoherentAlloc
{
    /// <summary>Clear GFP_DMA|GFP_DMA32 unconditionally: the seed bug.</summary>
    ClearZoneFlags,
    /// <summary>OR in GFP_DMA|GFP_DMA32 for no-mapping devices (the thread's first patch).</summary>
    OrDmaAndDma32,
    /// <summary>Call dma_generic_alloc_coherent for no-mapping devices (David Woodhouse's counter-proposal).</summary>
    GenericAllocCoherent,
    /// <summary>GFP_DMA32 (GFP_DMA below 32 bits) when the coherent mask is below the required mask: what shipped.</summary>
    ZoneFromRequiredMask,
    /// <summary>dma_direct_alloc: optimal zone from the mask, retry lower zones when the page does not fit.</summary>
    DmaDirect,
}

/// <summary>The runtime identity test of iommu_should_identity_map(startup = 0).</summary>
public enum IdentityCheck
{
    /// <summary>Identity iff dma_mask &gt; DMA_BIT_MASK(32): coherent mask and RAM size ignored.</summary>
    StreamingMaskAbove32Bits,
    /// <summary>Identity iff min(dma_mask, coherent mask) ≥ dma_get_required_mask.</summary>
    MinMaskCoversRequiredMask,
    /// <summary>No runtime re-check: the default domain decided at boot stays (modern).</summary>
    None,
}

/// <summary>What the x86 DMA setup falls back to when VT-d is detected but its init fails.</summary>
public enum InitFailureFallback
{
    /// <summary>nommu_dma_ops: physical addresses, no bouncing (2.6.32).</summary>
    Nommu,
    /// <summary>swiotlb kept (75f1cdf1dda9, 2.6.33).</summary>
    Swiotlb,
}

/// <summary>Which mask limits the IOVA of a translated coherent buffer.</summary>
public enum CoherentIovaLimit
{
    /// <summary>__intel_map_single passes pdev-&gt;dma_mask to intel_alloc_iova (2.6.32 bug).</summary>
    StreamingMask,
    /// <summary>The coherent mask ("intel-iommu: Use coherent DMA mask when requested").</summary>
    CoherentMask,
}

/// <summary>Which unmap invalidation mode the era uses by default.</summary>
public enum InvalidationMode
{
    Strict,
    Lazy,
}

/// <summary>The dmesg wording of an era.</summary>
public enum LogStyle
{
    /// <summary>2.6.32: "DMAR:Host address width 40", "IOMMU fed90000: ver 1:0 cap … ecap …".</summary>
    Legacy,
    /// <summary>Modern: "DMAR: Host address width 40", "DMAR: dmar0: reg_base_addr … ver … cap … ecap …".</summary>
    Modern,
}

/// <summary>The CONFIG_DMA_API_DEBUG features an era's lib/dma-debug.c or kernel/dma/debug.c has.</summary>
[Flags]
public enum DmaDebugChecks
{
    None = 0,
    /// <summary>dma_map_page entries are type "page", distinct from "single" (until 2e05ea5cdc1a, 5.1).</summary>
    PageTypeDistinct = 1,
    /// <summary>"device driver failed to check map error" (6c9c6d630128 "dma-debug: New interfaces to debug dma mapping errors", 3.9).</summary>
    MapErrorCheck = 2,
    /// <summary>Active-cacheline tracking reports overlapping mappings (add_dma_entry "cacheline tracking EEXIST").</summary>
    OverlapCheck = 4,
    /// <summary>check_unmap compares a coherent free's CPU address with the allocation's.</summary>
    CoherentCpuAddressCheck = 8,
    /// <summary>Messages read "DMA-API: DRIVER BDF: …" (pr_fmt) instead of "DRIVER BDF: DMA-API: …".</summary>
    PrefixFirst = 16,
    /// <summary>type2name spells "scatter-gather" (older tables say "scather-gather").</summary>
    ScatterGatherSpelledRight = 32,
    /// <summary>check_sg_segment: segment length and boundary against the device's dma_parms.</summary>
    SgSegmentCheck = 64,
}

/// <summary>When the DMAR table is parsed (its lines printed): by interrupt remapping's setup at APIC init, or by intel_iommu_init.</summary>
public enum TableParse
{
    /// <summary>enable_IR_x2apic parsed the table before asking whether interrupt remapping is wanted (2.6.3x – 3.x): always early.</summary>
    Early,
    /// <summary>irq_remapping_prepare stops on intremap=off, intel_prepare_irq_remapping on a chipset erratum, before dmar_table_init: then intel_iommu_init parses it, later.</summary>
    EarlyUnlessIrqRemappingOff,
}

/// <summary>In which order the IOMMU core first probes the devices under remapping units, which numbers their groups.</summary>
public enum GroupProbeOrder
{
    /// <summary>One bus_iommu_probe after every unit is registered (bus_set_iommu, to 6.0): all devices in bus order.</summary>
    BusScan,
    /// <summary>
    /// One bus_iommu_probe per unit as iommu_device_register registers it, units in dmar_drhd_units order (6.1+):
    /// each unit's devices in bus order, the include-all unit's last.
    /// </summary>
    PerUnitRegistration,
}

/// <summary>Which code decides the devices' domains and dma ops at boot.</summary>
public enum BootSequence
{
    /// <summary>x86 pci_iommu_init → intel_iommu_init → init_dmars: the driver owns its domains (2.6.3x – 5.2).</summary>
    InitDmars,
    /// <summary>The IOMMU core gives every group a default domain at probe; dma ops follow from it (5.3+).</summary>
    DefaultDomains,
}

/// <summary>What identity mapping init_dmars sets up.</summary>
public enum IdentityMapping
{
    /// <summary>2.6.31: iommu=pt programs a pass-through context for every device; no si_domain, no runtime check.</summary>
    PassThroughContextsOnly,
    /// <summary>19943b0e onwards: the static identity domain si_domain (hardware or software pass-through).</summary>
    StaticIdentityDomain,
}

/// <summary>The arch DMA-API front end a driver's calls pass through.</summary>
public enum DmaApiFrontEnd
{
    /// <summary>2.6.3x x86 (arch/x86/kernel/pci-dma.c, asm/dma-mapping.h): masks below 24 bits refused; the front end picks GFP_DMA / GFP_DMA32 from the coherent mask.</summary>
    X86Legacy,
    /// <summary>kernel/dma/mapping.c: zone bits stripped ("let the implementation decide"), dma_direct_supported, 32-bit required mask for IOMMU-translated devices.</summary>
    Generic,
}

/// <summary>How freed IOVAs wait for their IOTLB flush in lazy mode.</summary>
public enum FlushQueue
{
    /// <summary>add_unmap / flush_unmaps: HIGH_WATER_MARK 250 entries or 10 ms, then a global IOTLB flush of every unit.</summary>
    AddUnmapGlobalFlush,
    /// <summary>dma-iommu flush queue: IOVA_FQ_SIZE 256 entries or 10 ms, then a domain-selective flush per domain.</summary>
    PerDomainFlushQueue,
}

/// <summary>How a unit hands out domain ids.</summary>
public enum DomainIdAllocation
{
    /// <summary>iommu_alloc_domain: first clear bit of the unit's bitmap; bit 0 is reserved under caching mode.</summary>
    FirstFreeBit,
    /// <summary>Pass-through contexts use FLPT_DEFAULT_DID (1); other domains come from the IDA starting at IDA_START_DID (2).</summary>
    IdaFromTwo,
}

/// <summary>What the kernel checks of each DRHD before it trusts the DMAR table, and when.</summary>
public enum DrhdSanityCheck
{
    /// <summary>
    /// Register base zero is refused while the table is parsed in intel_iommu_init ("intel-iommu: Avoid
    /// panic() for DRHD at address zero", 2.6.30); registers that read all ones are not checked at all.
    /// </summary>
    ZeroAtParse,
    /// <summary>Zero base and all-ones CAP/ECAP refused at parse time (alloc_iommu), after the swiotlb decision ("intel-iommu: Cope with broken HP DC7900 BIOS").</summary>
    ZeroAndAllOnesAtParse,
    /// <summary>
    /// Both refused at probe time (detect_intel_iommu → check_zero_address sets dmar_disabled, so
    /// iommu_detected stays 0 and pci_swiotlb_init sets up swiotlb): "intel-iommu: Detect DMAR in hyperspace at probe time".
    /// </summary>
    AtProbe,
}

/// <summary>Where the boot-time swiotlb pool lands.</summary>
public enum SwiotlbPlacement
{
    /// <summary>Top-down below 4 GiB (memblock_alloc_low and friends: 3.x and later).</summary>
    TopDownBelow4G,
    /// <summary>
    /// At 512 MiB when RAM goes above 4 GiB: dma32_reserve_bootmem reserves 128 MiB with a 512 MiB goal
    /// and dma32_free_bootmem frees it right before pci_swiotlb_init, leaving bootmem's search hint there
    /// (arch/x86/kernel/pci-dma.c, 2.6.26–2.6.37; "software IO TLB at phys 0x20000000 - 0x24000000").
    /// </summary>
    BootmemHint512M,
}

/// <summary>
/// The wording details of the 2.6.3x/3.0 intel-iommu and DMAR code that changed between those releases
/// (the modern wording is <see cref="LogStyle.Modern"/>'s own).
/// </summary>
/// <param name="DmarPrefix">drivers/pci/dmar.c PREFIX: "DMAR:" (2.6.31 and before), "DMAR: " (2.6.32 stable trees, 3.0).</param>
/// <param name="InvalidationLineHasUnitNumber">init_dmars: "IOMMU %d 0x%Lx: using … invalidation" (3.0) rather than "IOMMU 0x%Lx: …" (2.6.32).</param>
/// <param name="IdentityMapEndInclusive">"Setting identity map for device … [0x%Lx - 0x%Lx]": the RMRR's end_address (3.0) or end_address + 1 (2.6.32).</param>
/// <param name="KnowsSpOff">intel_iommu_setup knows sp_off (3.0, with the superpage support: "Intel-IOMMU: disable supported super page"); 2.6.3x does not.</param>
public sealed record LegacyLogWording(string DmarPrefix, bool InvalidationLineHasUnitNumber, bool IdentityMapEndInclusive, bool KnowsSpOff = false);

/// <summary>How the DMAR fault handler words a fault.</summary>
public enum FaultLogStyle
{
    /// <summary>
    /// 2.6.3x/3.0 iommu_page_fault + dmar_fault_do_one: "DRHD: handling fault status reg %x", then per record
    /// "DMAR:[DMA Write] Request device [bb:dd.f] fault addr %llx " and "DMAR:[fault reason %02d] %s"; no ratelimit.
    /// </summary>
    TwoLines,
    /// <summary>
    /// 4.7 – 5.3: one line per record, "[DMA Write] Request device [bb:dd.f] fault addr %llx [fault reason %02d] %s" under
    /// pr_fmt "DMAR: " ("iommu/vt-d: Improve fault handler error messages", 4.7), ratelimited.
    /// </summary>
    OneLine,
    /// <summary>5.4 – 5.13: the same with "PASID %x" before "fault addr" ("iommu/vt-d: Add Scalable Mode fault information", 5.4).</summary>
    OneLinePasid,
    /// <summary>
    /// 5.14+ dmar_fault: pr_fmt "DMAR: ", __ratelimit (10 per 5 s) on the status line and on every record,
    /// "[DMA Write NO_PASID] Request device [bb:dd.f] fault addr 0x%llx [fault reason 0x%02x] %s".
    /// </summary>
    RatelimitedOneLine,
}

/// <summary>Which build options for the IOMMU core's default domain the Intel driver follows.</summary>
public enum DefaultDmaKconfig
{
    /// <summary>None: the Intel driver keeps its own default (before 5.3, iommu_pass_through from iommu=pt only).</summary>
    Absent,
    /// <summary>CONFIG_IOMMU_DEFAULT_PASSTHROUGH makes identity the default; strict/lazy only from the command line (5.3 – 5.14).</summary>
    Passthrough,
    /// <summary>The Kconfig choice CONFIG_IOMMU_DEFAULT_DMA_STRICT / _DMA_LAZY / _PASSTHROUGH (5.15+).</summary>
    PassthroughStrictLazy,
}

/// <summary>What iommu_subsys_init (drivers/iommu/iommu.c) prints about the default domain at boot.</summary>
public enum DefaultDomainLog
{
    /// <summary>No IOMMU-core default domains: init_dmars owns the domains (2.6.3x – 5.2).</summary>
    None,
    /// <summary>"iommu: Default domain type: %s %s" only (5.3 – 5.13).</summary>
    TypeOnly,
    /// <summary>The type line, then "iommu: DMA domain TLB invalidation policy: %s mode %s" for a translated default (5.14+).</summary>
    TypeAndFlushPolicy,
}

/// <summary>What platform_optin_force_iommu does when the DMAR table sets DMA_CTRL_PLATFORM_OPT_IN and an external-facing port exists.</summary>
public enum PlatformOptIn
{
    /// <summary>No such code (before 5.0).</summary>
    None,
    /// <summary>Force VT-d on; a kernel whose VT-d was off by default sets IDENTMAP_ALL, so the Intel driver asks identity for every trusted device (5.0 – 5.7).</summary>
    IdentMapAll,
    /// <summary>Force VT-d on; a kernel whose VT-d was off by default makes identity the core's default domain type (iommu_set_default_passthrough).</summary>
    DefaultPassthrough,
}

/// <summary>Which dma ops a device in a translated (DMA) default domain gets.</summary>
public enum TranslatedOps
{
    /// <summary>The Intel driver's own intel_dma_ops (intel_map_page / __intel_map_single), up to 5.10.</summary>
    IntelDmaOps,
    /// <summary>The generic dma-iommu layer (iommu_dma_map_page), from 5.11 ("iommu/vt-d: Convert intel iommu driver to the iommu ops").</summary>
    DmaIommu,
}

/// <summary>Who sets the DMA masks of Intel integrated graphics (driver i915), and from what.</summary>
public enum IgdDmaMasks
{
    /// <summary>
    /// intel-agp's agp_intel_probe: a 36-bit streaming mask on the graphics function when the bridge driver maps
    /// memory with intel_i965_mask_memory (G33/Q35/Q33/Pineview, the 965 family, G4x, Ironlake); the coherent mask
    /// stays the PCI core's 32; i915 sets none; chips newer than Ironlake are in no table of the kernel.
    /// </summary>
    IntelAgp,
    /// <summary>i915 itself, by the chip's dma_mask_size; coherent 30 on gen2 and 32 on 965G/965GM (i915_set_dma_info).</summary>
    I915DmaMaskSize,
}

/// <summary>Whether and how an untrusted (external-facing) device's partial-page buffers are bounced through swiotlb.</summary>
public enum UntrustedBounce
{
    /// <summary>No bounce pages: the device maps the pages its buffer shares with other data (before 5.4).</summary>
    None,
    /// <summary>The Intel driver's bounce_dma_ops, announced per device ("Use Intel IOMMU bounce page dma_ops", 5.4 – 5.7).</summary>
    IntelBounceOpsAnnounced,
    /// <summary>The Intel driver's bounce_dma_ops, set silently in probe_finalize (5.8 – 5.10).</summary>
    IntelBounceOps,
    /// <summary>dma-iommu's own bounce (iommu_dma_map_page → swiotlb_tbl_map_single), 5.11+.</summary>
    DmaIommu,
}
