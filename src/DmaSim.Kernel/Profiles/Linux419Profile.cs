using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 4.19 LTS line: still init_dmars' own domains, with the 4.x wording, IOMMU groups, RMRR devices refused to VFIO.</summary>
[ProfileDefinition]
internal static class Linux419Profile
{
    public static KernelProfile Profile { get; } = Linux30Profile.Profile with
    {
        Name = ProfileNames.Linux419,
        Summary = "4.19 LTS: init_dmars still owns the domains (si_domain, runtime identity re-check, intel_dma_ops); 4.1+ \"DMAR: \" wording; IOMMU groups; RMRR devices refused to VFIO (3.17); RMRRs mapped into new domains",
        LogStyle = new(LogStyle.Modern, "drivers/iommu/dmar.c and intel-iommu.c (4.1+): #define pr_fmt(fmt) \"DMAR: \" fmt (\"iommu/vt-d: Cleanup log messages\", 4.1); the 4.19.132 log in samples/dmesg (hp-proliant-dl360-g6) prints \"DMAR: Setting identity map for device …\""),
        Iova = new(Iommu.Iova.IovaAlgorithm.Linux419, "drivers/iommu/iova.c (4.19): the 4.15 rbtree rework (anchor node, cached_node / cached32_node) and the per-CPU range caches (4.7), no max32_alloc_size (5.1), no retry pass (5.11)"),
        DefaultDomainAddressWidth = new(57, "drivers/iommu/intel-iommu.c DEFAULT_DOMAIN_ADDRESS_WIDTH: 48 in 4.15.18, 57 in 4.16.13 and 4.19.0 (the 5-level paging support of 4.16) [commit not pinned]"),
        IntelOpsIovaFast = new(true, "drivers/iommu/intel-iommu.c (4.19) intel_alloc_iova: alloc_iova_fast below 4 GiB first, then below the mask with the range caches flushed (\"iommu/vt-d: Use per-cpu IOVA caching\", 4.7 [R: title]; intel_alloc_iova and intel_unmap as read in a 5.4-era intel-iommu.c, the same shape as 4.19); intel_unmap: aligned_nrpages(dev_addr, size) pages cleared, then free_iova_fast if intel_iommu_strict, else queue_iova (13cf01744608 \"iommu/vt-d: Make use of iova deferred flushing\", 4.14)"),
        FlushQueue = new(FlushQueue.PerDomainFlushQueue, "drivers/iommu/iova.c (4.14 – 5.10) queue_iova / fq_flush_timeout with intel-iommu.c iommu_flush_iova: the domain's IOTLB flushed domain-selectively on each of its units (DMA_TLB_DSI_FLUSH)"),
        LazyUnmapQueueCapacity = new(255, "drivers/iommu/iova.c (4.14+) IOVA_FQ_SIZE 256, fq_full: ((tail + 1) % IOVA_FQ_SIZE) == head, so the ring holds 255 IOVAs; IOVA_FQ_TIMEOUT 10 ms"),
        FaultLog = new(FaultLogStyle.OneLine, "drivers/iommu/dmar.c (4.19) dmar_fault: pr_err(\"[%s] Request device [%02x:%02x.%d] fault addr %llx [fault reason %02d] %s\") under pr_fmt \"DMAR: \" (\"iommu/vt-d: Improve fault handler error messages\", 4.7), each line ratelimited (\"iommu/vt-d: Ratelimit each dmar fault printing\", 4.18)"),
        DefaultRelease = new("4.19.0", "linux-4.19: the 4.19 wording (LogDialect 4.12+: e820 lines without the \"e820: \" prefix)"),
        IommuGroups = new(new Iommu.PciDeviceGroups(), "drivers/iommu/iommu.c (4.19) pci_device_group, called from intel_iommu_add_device → iommu_group_get_for_dev (IOMMU groups since 3.5)"),
        VfioRmrr = new(Iommu.VfioRmrrPolicy.RmrrBlocksExceptUsbGraphics, "drivers/iommu/intel-iommu.c (4.19) intel_iommu_attach_device: device_is_rmrr_locked → \"Device is ineligible for IOMMU domain attach due to platform RMRR requirement\" (\"iommu/vt-d: Suppress RMRR device assignment\", 3.17); device_is_rmrr_locked spares IS_USB_DEVICE and IS_GFX_DEVICE (4.2 on, read in a 4.x intel-iommu.c)"),
        RmrrMappedIntoNewDomains = new(true, "drivers/iommu/intel-iommu.c (4.x) get_valid_domain_for_dev: \"We have a new domain - setup possible RMRRs for the device\" (for_each_rmrr_units → domain_prepare_identity_map) [R: the 4.x release of the change not pinned]"),
        RmrrDevicesNeverIdentity = new(true, "drivers/iommu/intel-iommu.c (4.19) iommu_should_identity_map: device_is_rmrr_locked → 0, i.e. a device an RMRR names stays out of si_domain unless it is USB (IS_USB_DEVICE) or graphics (IS_GFX_DEVICE) (\"intel-iommu: Prevent devices with RMRRs from being placed into SI Domain\", ea2447f700ca, 3.8; the graphics exemption with device_is_rmrr_locked, 4.2 [R: title and release]); the linux-3.0 profile, which also stands for 3.8 – 4.18, applies it when the scenario's kernel version is 3.8 or later (IdentityPolicy)"),
        IgfxOffIdentityMapsGraphics = new(false, "drivers/iommu/intel-iommu.c (4.19.0) init_dmars: IDENTMAP_GFX only under CONFIG_INTEL_IOMMU_BROKEN_GFX_WA (depends on BROKEN); 5daab58043ee \"iommu/vt-d: Make kernel parameter igfx_off work with vIOMMU\" (5.2) reached 4.19.99 (stable review, 24 Jan 2020), so a scenario naming 4.19.99 or later gets it (IdentMapGfx)"),
        TableParse = new(Profiles.TableParse.EarlyUnlessIrqRemappingOff, "drivers/iommu/irq_remapping.c irq_remapping_prepare: returns on disable_irq_remap (intremap=off) before intel_prepare_irq_remapping, which returns on irq_remap_broken (arch/x86/kernel/early-quirks.c intel_remapping_check: the 5500/5520/X58 erratum, \"This system BIOS has enabled interrupt remapping on a chipset that contains an erratum\") before dmar_table_init; intel_iommu_init then parses the table (before its dmar_disabled exit): 4.19 – 6.x [R: the 4.x release of the reordering]; the HP Z400 5.4 log prints the erratum warning at APIC setup and the parse lines after \"iommu: Default domain type\""),
        HotplugExtendsIdentityMap = new(true, "drivers/iommu/intel-iommu.c (3.15+) intel_iommu_memory_notifier (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\")"),
    };
}
