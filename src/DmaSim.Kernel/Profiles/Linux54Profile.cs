using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 5.4 LTS line: the IOMMU core's default domains, overridden per device by the Intel driver's private domains.</summary>
[ProfileDefinition]
internal static class Linux54Profile
{
    private const string Vtd54 = "drivers/iommu/intel-iommu.c (5.4)";

    public static KernelProfile Profile { get; } = Linux419Profile.Profile with
    {
        Name = ProfileNames.Linux54,
        Summary = "5.4 LTS: IOMMU-core default domains with Intel private identity/DMA domains; a 32-bit device under iommu=pt leaves the identity domain at its first map (\"32bit DMA uses non-identity mapping\"); intel_dma_ops for every device; the swiotlb pool freed once VT-d is on",
        Era = Era.T4,
        BootSequence = new(BootSequence.DefaultDomains, Vtd54 + " intel_iommu_init → bus_set_iommu: iommu_group_get_for_dev allocates each group's default domain (\"iommu/vt-d: Delegate the dma domain to upper layer\", 5.3)"),
        IgfxOffIdentityMapsGraphics = new(true, Vtd54 + " init_dmars: if (!dmar_map_gfx) iommu_identity_mapping |= IDENTMAP_GFX (5daab58043ee \"iommu/vt-d: Make kernel parameter igfx_off work with vIOMMU\", 5.2); device_def_domain_type: IS_GFX_DEVICE → IOMMU_DOMAIN_IDENTITY (after the RMRR lock, which spares graphics)"),
        LosesRmrrDirectMappings = new(true, "drivers/iommu/iommu.c (5.3 – 5.4.6) request_default_domain_for_dev: iommu_group_create_direct_mappings ran before group->default_domain was set (fixed by \"iommu: set group default domain before creating direct mappings\"); " + Vtd54 + " intel_iommu_map: a domain flagged DOMAIN_FLAG_LOSE_CHILDREN returned -EINVAL (fixed by \"iommu/vt-d: Fix dmar pte read access not set error\", Fixes: 942067f1b6b97); both in 5.5-rc2 and 5.4.7 stable; reported on an HP DL388p Gen8 (\"dmar pte read access not set error messages on hp dl388 gen8\", iommu list, Dec 2019)"),
        PrivateDomains = new(true, Vtd54 + " intel_iommu_add_device: device_def_domain_type differs from the group's default → iommu_request_dm_for_dev / iommu_request_dma_domain_for_dev (drivers/iommu/iommu.c request_default_domain_for_dev: only a group of one, \"Using iommu %s mapping\"), else \"Device uses a private identity|dma domain.\" (\"iommu/vt-d: Identify default domains replaced with private\", 942067f1b6b97, 5.3)"),
        DefaultDmaKconfig = new(DefaultDmaKconfig.Passthrough, "drivers/iommu/iommu.c (5.4) iommu_def_domain_type = IS_ENABLED(CONFIG_IOMMU_DEFAULT_PASSTHROUGH) ? IOMMU_DOMAIN_IDENTITY : IOMMU_DOMAIN_DMA, and init_dmars sets IDENTMAP_ALL when iommu_default_passthrough() (\"x86/dma: Get rid of iommu_pass_through\", 5.3) [R: titles]; strict/lazy has no build option yet"),
        DefaultDomainLog = new(DefaultDomainLog.TypeOnly, "drivers/iommu/iommu.c (5.4) iommu_subsys_init: pr_info(\"Default domain type: %s %s\\n\"); no TLB-invalidation-policy line (the 5.4.19 log in samples/dmesg, hp-z400, prints the type line alone)"),
        PassThroughDmaOps = new(PassThroughOps.IntelDmaOps, Vtd54 + " intel_iommu_init: dma_ops = &intel_dma_ops for every device; intel_map_page: !iommu_need_mapping → dma_direct_map_page"),
        RuntimeIdentityCheck = new(IdentityCheck.MinMaskCoversRequiredMask, Vtd54 + " iommu_need_mapping: min(dma_mask, coherent mask) < dma_direct_get_required_mask → dmar_remove_one_dev_info, iommu_request_dma_domain_for_dev (else a private domain), dev_info(\"32bit DMA uses non-identity mapping\") (removed by \"iommu/vt-d: Don't force 32bit devices to uses DMA domain\", 5.7, whose diff shows the 5.4–5.6 code)"),
        IommuReleasesSwiotlb = new(true, Vtd54 + " intel_iommu_init: if (!has_untrusted_dev() || intel_no_bounce) swiotlb = 0 (\"iommu/vt-d: Don't switch off swiotlb if bounce page is used\", c5a5dc4cbbf4); pci_swiotlb_late_init then frees the pool — the 5.4.19 log (hp-z400) has no \"PCI-DMA: Using software bounce buffering\"; with an untrusted device the pool stays for its bounce pages"),
        DmaApiFrontEnd = new(DmaApiFrontEnd.Generic, "kernel/dma/mapping.c (5.4) dma_alloc_attrs / dma_supported: the generic front end (x86's own inline dma_alloc_coherent went with e4d0d18739dc \"dma-mapping: consolidate dma_{alloc,free}_{attrs,coherent}\", 4.3, leaving arch hooks: dma_generic_alloc_coherent gone by 4.19, dma_alloc_attrs out of line in kernel/dma/mapping.c by 5.0 [R: the last x86 hook's removal not pinned])"),
        DmaDebug = new(DmaDebugChecks.MapErrorCheck | DmaDebugChecks.OverlapCheck | DmaDebugChecks.CoherentCpuAddressCheck | DmaDebugChecks.PrefixFirst | DmaDebugChecks.ScatterGatherSpelledRight | DmaDebugChecks.SgSegmentCheck,
            "kernel/dma/debug.c (5.4): one map type since 2e05ea5cdc1a (5.1); check_sg_segment, active-cacheline overlap, map-error tracking, pr_fmt \"DMA-API: \" as in 6.1 [R: 5.4 read only for the page type]"),
        PlatformOptIn = new(PlatformOptIn.IdentMapAll, Vtd54 + " platform_optin_force_iommu: dmar_platform_optin() && !no_platform_optin (intel_iommu=off) && an untrusted device (5.4: the external-facing port itself, pci_acpi_set_untrusted) → pr_info(\"Intel-IOMMU force enabled due to platform opt in\") when no_iommu || dmar_disabled; if dmar_disabled, iommu_identity_mapping |= IDENTMAP_ALL; dmar_disabled = 0 (\"iommu/vt-d: Force IOMMU on for platform opt in hardware\", 5.0)"),
        Iova = new(Iommu.Iova.IovaAlgorithm.Linux51, "drivers/iommu/iova.c (5.4): max32_alloc_size (bee60e94a1e2, 5.1), no retry pass (4e89dce72521, 5.11)"),
        UntrustedBounce = new(Profiles.UntrustedBounce.IntelBounceOpsAnnounced, Vtd54 + " intel_iommu_add_device: device_needs_bounce (!intel_no_bounce && pdev->untrusted) → dev_info(\"Use Intel IOMMU bounce page dma_ops\"), set_dma_ops(&bounce_dma_ops); bounce_map_single: IOVA for aligned_nrpages(0, size), and if !IS_ALIGNED(paddr | size, VTD_PAGE_SIZE) a page-aligned swiotlb slot of ALIGN(size, VTD_PAGE_SIZE) with the padding zeroed (all of it unless the CPU's data was copied in), mapped at iova_pfn << PAGE_SHIFT; bounce_unmap_single / bounce_sync_single find the slot through intel_iommu_iova_to_phys and is_swiotlb_buffer"),
        UntrustedStrict = new(true, Vtd54 + " intel_unmap: intel_iommu_strict || (pdev && pdev->untrusted) || !has_iova_flush_queue → iommu_flush_iotlb_psi and free_iova_fast now, never queue_iova"),
        FaultLog = new(FaultLogStyle.OneLinePasid, "drivers/iommu/dmar.c (5.4) dmar_fault_do_one: \"[%s] Request device [%02x:%02x.%d] PASID %x fault addr %llx [fault reason %02d] %s\" (\"iommu/vt-d: Add Scalable Mode fault information\", 5.4); the HP DL388p Gen8 5.4.0 log prints \"PASID ffffffff\""),
        DefaultRelease = new("5.4.0", "linux-5.4: the 5.4 wording"),
    };
}
