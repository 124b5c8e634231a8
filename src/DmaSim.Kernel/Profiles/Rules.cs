namespace DmaSim.Kernel.Profiles;

/// <summary>One decision of a kernel era and where it comes from (path + function, or commit title).</summary>
public sealed record Rule<T>(T Value, string Source)
{
    public override string ToString() => $"{Value} ({Source})";
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
