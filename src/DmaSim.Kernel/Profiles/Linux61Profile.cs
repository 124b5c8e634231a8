using DmaSim.Core;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Profiles;

/// <summary>Modern mainline.</summary>
[ProfileDefinition]
internal static class Linux61Profile
{
    public static KernelProfile Profile { get; } = Linux515Profile.Profile with
    {
        Name = ProfileNames.Linux61,
        Summary = "modern: IOMMU-core default domain types (identity / DMA / DMA-FQ); identity → dma-direct + swiotlb; translated → dma-iommu; RMRRs as direct-mapped reserved regions",
        Era = Era.T4,
        PassThroughDmaOps = new(PassThroughOps.DmaDirect, "drivers/iommu/dma-iommu.c iommu_setup_dma_ops: identity default domain → no ops (dma-direct)"),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.DmaDirect, "kernel/dma/direct.c dma_direct_alloc / __dma_direct_alloc_pages"),
        RuntimeIdentityCheck = new(IdentityCheck.None, "drivers/iommu/iommu.c: default domain chosen at probe; no runtime mask re-check"),
        RmrrMappedIntoNewDomains = new(true, "drivers/iommu/iommu.c iommu_create_device_direct_mappings (IOMMU_RESV_DIRECT regions from intel_iommu_get_resv_regions)"),
        Iova = new(IovaAlgorithm.Modern, "drivers/iommu/iova.c alloc_iova_fast / free_iova_fast"),
        DefaultInvalidation = new(InvalidationMode.Lazy, "drivers/iommu/iommu.c iommu_subsys_init: DMA upgraded to DMA_FQ unless strict; dma-iommu.c flush queue"),
        LazyUnmapQueueCapacity = new(255, "drivers/iommu/dma-iommu.c (6.1) queue_iova: fq_full() is ((tail + 1) % IOVA_FQ_SIZE) == head, so a 256-slot ring holds 255 IOVAs before fq_flush_iotlb"),
        FaultLog = new(FaultLogStyle.RatelimitedOneLine, "drivers/iommu/intel/dmar.c (6.1) dmar_fault: DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST); dmar_fault_do_one pr_err(\"[%s NO_PASID] Request device [%02x:%02x.%d] fault addr 0x%llx [fault reason 0x%02x] %s\") [R]"),
        DefaultDomainAddressWidth = new(57, "drivers/iommu/intel/iommu.h DEFAULT_DOMAIN_ADDRESS_WIDTH"),
        ModernSwiotlb = new(true, "kernel/dma/swiotlb.c (areas, \"swiotlb buffer is full\")"),
        HotplugExtendsIdentityMap = new(true, "drivers/iommu/intel/iommu.c (6.1) intel_iommu_init: register_memory_notifier when si_domain has software tables; intel_iommu_memory_notifier (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\", 3.15)"),
        LogStyle = new(LogStyle.Modern, "drivers/iommu/intel/dmar.c pr_fmt \"DMAR: \""),
        IommuGroups = new(new Iommu.PciDeviceGroups(), "drivers/iommu/iommu.c pci_device_group (6.1), pci_acs_enabled / pci_acs_path_enabled (drivers/pci/pci.c), ACS quirks drivers/pci/quirks.c pci_dev_acs_enabled[]"),
        VfioRmrr = new(Iommu.VfioRmrrPolicy.RmrrBlocksExceptUsbGraphics, "drivers/iommu/intel/iommu.c (6.1) intel_iommu_get_resv_regions / device_rmrr_is_relaxable: USB and graphics RMRRs IOMMU_RESV_DIRECT_RELAXABLE; others IOMMU_RESV_DIRECT, refused by iommu_group_claim_dma_owner users (vfio)"),
        CachingModeForcesStrict = new(true, "drivers/iommu/intel/iommu.c (6.1) intel_iommu_init: cap_caching_mode → pr_info_once(\"IOMMU batching disallowed due to virtualization\"), iommu_set_dma_strict()"),
        DmaDebug = new(DmaDebugChecks.MapErrorCheck | DmaDebugChecks.OverlapCheck | DmaDebugChecks.CoherentCpuAddressCheck | DmaDebugChecks.PrefixFirst | DmaDebugChecks.ScatterGatherSpelledRight | DmaDebugChecks.SgSegmentCheck,
            "kernel/dma/debug.c (6.1): check_unmap, check_sync, add_dma_entry, check_sg_segment, dma_debug_device_change, pr_fmt \"DMA-API: \"; no page type since 2e05ea5cdc1a"),
        GroupProbeOrder = new(GroupProbeOrder.PerUnitRegistration, "57365a04c921 \"iommu: Move bus setup to IOMMU device registration\" (6.1): iommu_device_register runs bus_iommu_probe, and intel_iommu_init registers its units in for_each_active_iommu order; c919739ce472 \"iommu/vt-d: Handle race between registration and device probe\" (6.1) makes intel_iommu_probe_device refuse (-ENODEV) a device whose unit is not registered yet, so each registration probes only its own unit's devices. The Dell Latitude 9420 6.2 log numbers the groups of dmar3's 00:07.2, dmar2's 00:07.0, dmar1's 00:05.0, dmar0's 00:02.0, then the include-all unit's 00:00.0 …"),
        BootSequence = new(BootSequence.DefaultDomains, "drivers/iommu/iommu.c: every group gets a default domain at probe; VT-d hands its DMA domains to the core since 5.3 (\"iommu/vt-d: Delegate the dma domain to upper layer\")"),
        DmaApiFrontEnd = new(DmaApiFrontEnd.Generic, "kernel/dma/mapping.c dma_alloc_attrs, dma_supported, dma_get_required_mask; kernel/dma/direct.c dma_direct_supported"),
        SwiotlbForceDisablesVtd = new(false, "drivers/iommu/intel/iommu.c (6.1) intel_iommu_init has no swiotlb check: swiotlb=force only makes dma-direct bounce"),
        IommuReleasesSwiotlb = new(false, "arch/x86/kernel/pci-dma.c (6.1) pci_iommu_init: the pool is kept (\"Using software bounce buffering\") unless x86_swiotlb_enable was cleared, which intel_iommu_init does not do"),
        FlushQueue = new(FlushQueue.PerDomainFlushQueue, "drivers/iommu/dma-iommu.c queue_iova / fq_flush_timeout: IOVA_FQ_SIZE 256 entries or 10 ms, then a flush of each queued domain"),
        DomainIds = new(DomainIdAllocation.IdaFromTwo, "drivers/iommu/intel/iommu.c: FLPT_DEFAULT_DID (1) for pass-through contexts; DMA domains from IDA_START_DID (2)"),
        CachingModeFlushesDomainZero = new(false, "drivers/iommu/intel/iommu.c domain_context_mapping_one: in caching mode flush the domain's own id"),
        DefaultRelease = new("", "the modern wording as before versions existed (LogDialect.For without a version)"),
        AlignPageSelectiveRange = new(true, "drivers/iommu/intel/iommu.c calculate_psi_aligned_address: widen the mask until the aligned window covers the range"),
    };
}
