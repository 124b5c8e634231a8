using DmaSim.Core;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 5.15 LTS line: intel-iommu on dma-iommu, the DMA-FQ domain type, the invalidation-policy line.</summary>
[ProfileDefinition]
internal static class Linux515Profile
{
    public static KernelProfile Profile { get; } = Linux510Profile.Profile with
    {
        Name = ProfileNames.Linux515,
        Summary = "5.15 LTS: translated devices on dma-iommu (5.11); DMA-FQ default domains with dma-iommu's flush queue, strict/lazy per domain (5.15); iommu_subsys_init prints the TLB invalidation policy (5.14)",
        TranslatedDmaOps = new(TranslatedOps.DmaIommu, "\"iommu/vt-d: Convert intel iommu driver to the iommu ops\" (5.11): intel_dma_ops removed; iommu_setup_dma_ops gives translated devices iommu_dma_ops (drivers/iommu/dma-iommu.c)"),
        UntrustedBounce = new(Profiles.UntrustedBounce.DmaIommu, "drivers/iommu/dma-iommu.c iommu_dma_map_page (5.11+): dev_is_untrusted(dev) && iova_offset(iovad, phys | size) → swiotlb_tbl_map_single(dev, phys, size, iova_align(iovad, size), …) and the padding cleared (whole slot for DMA_FROM_DEVICE); unmap and sync find the slot through iommu_iova_to_phys and is_swiotlb_buffer (\"iommu: Allow the dma-iommu api to use bounce buffers\", 5.11) [R: title]"),
        DefaultDmaKconfig = new(DefaultDmaKconfig.PassthroughStrictLazy, "drivers/iommu/Kconfig (5.15) choice IOMMU_DEFAULT_DMA_STRICT / IOMMU_DEFAULT_DMA_LAZY / IOMMU_DEFAULT_PASSTHROUGH, read by iommu.c iommu_dma_strict = IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_STRICT) (\"iommu: Enhance IOMMU default DMA mode build options\", \"iommu: Clarify default domain Kconfig\", 5.15) [R: titles]"),
        DefaultDomainLog = new(DefaultDomainLog.TypeAndFlushPolicy, "drivers/iommu/iommu.c (5.14+) iommu_subsys_init: pr_info(\"DMA domain TLB invalidation policy: %s mode %s\\n\") after the type line for a translated default (\"iommu: Print strict or lazy mode at init time\") [R: title]; absent from the 5.11.22 log, present in the 6.1 and 6.2 logs"),
        Iova = new(IovaAlgorithm.Modern, "drivers/iommu/iova.c alloc_iova_fast / free_iova_fast (per-CPU rcaches, 4.7+)"),
        DefaultInvalidation = new(InvalidationMode.Lazy, "drivers/iommu/iommu.c (5.15) iommu_group_alloc_default_domain: IOMMU_DOMAIN_DMA upgraded to IOMMU_DOMAIN_DMA_FQ unless strict (\"iommu: Introduce explicit type for non-strict DMA domains\", 5.15)"),
        FlushQueue = new(FlushQueue.PerDomainFlushQueue, "drivers/iommu/dma-iommu.c (5.15) iommu_dma_init_fq: a DMA-FQ domain's flush queue (IOVA_FQ_SIZE 256 entries or 10 ms), then a domain-selective flush"),
        LazyUnmapQueueCapacity = new(255, "drivers/iommu/iova.c (5.15) fq_full: ((tail + 1) % IOVA_FQ_SIZE) == head, so a 256-slot ring holds 255 IOVAs"),
        CachingModeForcesStrict = new(true, "drivers/iommu/intel/iommu.c (5.15) intel_iommu_init: cap_caching_mode → pr_info_once(\"IOMMU batching disallowed due to virtualization\"), iommu_set_dma_strict() (John Garry's build-option series, 5.14; 5.11's \"Disable batched IOTLB flush due to virtualization\" in init_dmars before it)"),
        UntrustedStrict = new(true, "drivers/iommu/iommu.c (5.15) iommu_get_def_domain_type: an untrusted device's group asks IOMMU_DOMAIN_DMA, and a requested type is allocated as is (never upgraded to DMA_FQ), so its unmaps are strict"),
        FaultLog = new(FaultLogStyle.RatelimitedOneLine, "drivers/iommu/intel/dmar.c (5.15) dmar_fault_do_one: \"[%s NO_PASID] Request device [%02x:%02x.%d] fault addr 0x%llx [fault reason 0x%02x] %s\" (\"iommu/vt-d: Tweak the description of a DMA fault\", 5.14; the device\'s 0x dropped again in 5.15)"),
        DefaultRelease = new("5.15.0", "linux-5.15: the 5.15 wording"),
    };
}
