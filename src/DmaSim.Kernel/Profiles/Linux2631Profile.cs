using DmaSim.Core;
using DmaSim.Kernel.Iommu.Iova;
using static DmaSim.Kernel.Profiles.Sources;

namespace DmaSim.Kernel.Profiles;

/// <summary>2.6.31: before the thread. Pass-through devices use swiotlb dma ops. Every rule is stated here; later profiles state only what changed.</summary>
[ProfileDefinition]
internal static class Linux2631Profile
{
    public static KernelProfile Profile { get; } = new()
    {
        Name = ProfileNames.Linux2631,
        Summary = "before the thread: hardware pass-through devices use swiotlb dma ops, whose coherent allocator honours the coherent mask",
        Era = Era.T0,
        PassThroughDmaOps = new(PassThroughOps.Swiotlb, "4ed0d3e6c64c \"Intel IOMMU Pass Through Support\"; arch/x86/kernel/pci-swiotlb.c pci_swiotlb_init sets swiotlb when iommu_pass_through"),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ClearZoneFlags, Vtd2632 + " intel_alloc_coherent (only reached by translated devices in 2.6.31)"),
        RuntimeIdentityCheck = new(IdentityCheck.None, "2.6.31 has no si_domain: pass-through is a boot-time, all-device decision (4ed0d3e6c64c)"),
        BridgedDevicesNeverIdentity = new(false, "3dfc813d94bb not yet merged"),
        InitFailureFallback = new(InitFailureFallback.Nommu, "arch/x86/kernel/pci-dma.c pci_iommu_init: no swiotlb fallback before 75f1cdf1dda9"),
        RmrrMappedIntoNewDomains = new(false, Vtd2632 + " get_valid_domain_for_dev: no RMRR setup for new domains"),
        LosesRmrrDirectMappings = new(false, "no IOMMU-core default domains or direct mappings before 5.3"),
        IgfxOffIdentityMapsGraphics = new(false, "drivers/pci/intel-iommu.c (2.6.32) init_dmars: IDENTMAP_GFX only under CONFIG_DMAR_BROKEN_GFX_WA (later CONFIG_INTEL_IOMMU_BROKEN_GFX_WA), which depends on BROKEN; igfx_off alone only ignores a graphics-dedicated unit (init_no_remapping_devices)"),
        CoherentIovaLimit = new(CoherentIovaLimit.StreamingMask, Vtd2632 + " __intel_map_single passes pdev->dma_mask to intel_alloc_iova"),
        Iova = new(IovaAlgorithm.Linux2632, "drivers/pci/iova.c (2.6.3x) alloc_iova with caller-passed 32-bit limit"),
        DefaultInvalidation = new(InvalidationMode.Lazy, Vtd2632 + " add_unmap / flush_unmaps (HIGH_WATER_MARK 250, 10 ms timer); intel_iommu=strict disables"),
        LazyUnmapQueueCapacity = new(250, Vtd2632 + " add_unmap: if (list_size == HIGH_WATER_MARK) flush_unmaps() before queueing (HIGH_WATER_MARK 250)"),
        DefaultDomainAddressWidth = new(48, Vtd2632 + " DEFAULT_DOMAIN_ADDRESS_WIDTH"),
        ModernSwiotlb = new(false, "lib/swiotlb.c (2.6.3x): single io_tlb_index, overflow buffer, swiotlb_full panic"),
        RmrrDevicesNeverIdentity = new(false, Vtd2632 + " iommu_should_identity_map ignores RMRRs"),
        HotplugExtendsIdentityMap = new(false, "no memory notifier in drivers/pci/intel-iommu.c before 3.15 (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\"); absent from 3.0.8"),
        LogStyle = new(LogStyle.Legacy, "drivers/pci/dmar.c (2.6.3x) printk format \"DMAR:...\""),
        DmaDebug = new(DmaDebugChecks.PageTypeDistinct, "lib/dma-debug.c (2.6.32, 3.0): check_unmap, check_sync, dma_debug_device_change; dma_debug_page type; err_printk \"%s %s: \" then \"DMA-API: ...\""),
        TableParse = new(Profiles.TableParse.Early, "arch/x86/kernel/apic/apic.c (2.6.32) enable_IR_x2apic: dmar_table_init() before intr_remapping_supported(), so the table is parsed at APIC setup whether or not interrupt remapping is then used [R: 2.6.32 – 3.x]"),
        GroupProbeOrder = new(Profiles.GroupProbeOrder.BusScan, "drivers/iommu/intel/iommu.c (5.15) intel_iommu_init: every unit's iommu_device_register, then bus_set_iommu(&pci_bus_type) → iommu_bus_init → bus_iommu_probe over all PCI devices in bus order (intel_iommu_add_device per device before 5.8); 3.5 – 6.0"),
        BootSequence = new(BootSequence.InitDmars, "arch/x86/kernel/pci-dma.c pci_iommu_init → intel_iommu_init → init_dmars (drivers/pci/intel-iommu.c)"),
        IdentityMapping = new(IdentityMapping.PassThroughContextsOnly, "4ed0d3e6c64c init_context_pass_through: iommu=pt gives every device a pass-through context; si_domain arrives with 19943b0e"),
        DmaApiFrontEnd = new(DmaApiFrontEnd.X86Legacy, "arch/x86/kernel/pci-dma.c dma_supported; arch/x86/include/asm/dma-mapping.h dma_alloc_coherent, dma_alloc_coherent_gfp_flags (2.6.3x)"),
        SwiotlbForceDisablesVtd = new(true, Vtd2632 + " intel_iommu_init: no_iommu || swiotlb || dmar_disabled → -ENODEV"),
        IommuReleasesSwiotlb = new(false, "arch/x86/kernel/pci-swiotlb.c (2.6.31) pci_swiotlb_init: the pool set up for iommu=pt stays; freeing it arrived with 75f1cdf1dda9"),
        FlushQueue = new(FlushQueue.AddUnmapGlobalFlush, Vtd2632 + " add_unmap / flush_unmaps: HIGH_WATER_MARK 250, then iommu->flush.flush_iotlb(DMA_TLB_GLOBAL_FLUSH) per unit"),
        DomainIds = new(DomainIdAllocation.FirstFreeBit, Vtd2632 + " iommu_alloc_domain: find_first_zero_bit; iommu_init_domains sets bit 0 when cap_caching_mode"),
        CachingModeFlushesDomainZero = new(true, Vtd2632 + " domain_context_mapping_one: in caching mode flush the IOTLB of \"special domain #0\""),
        AlignPageSelectiveRange = new(false, Vtd2632 + " iommu_flush_iotlb_psi: ilog2(__roundup_pow_of_two(pages)) on the unaligned address"),
        IommuGroups = new(new Iommu.SharedContextEntryGroups(), Vtd2632 + " device_to_context_entry / get_domain_for_dev: devices behind a PCIe-to-PCI bridge share its context entry and domain (IOMMU groups arrived in 3.5)"),
        CachingModeForcesStrict = new(false, Vtd2632 + " flush_unmaps batches whatever the unit's CAP.CM; only intel_iommu=strict disables batching"),
        VfioRmrr = new(Iommu.VfioRmrrPolicy.NoVfio, "VFIO arrived in 3.6 (drivers/vfio); with kernel.version the release decides: 3.6 no RMRR check, 3.17 'iommu/vt-d: Suppress RMRR device assignment', 5.3 relaxable USB/graphics RMRRs"),
        FaultLog = new(FaultLogStyle.TwoLines, "drivers/pci/dmar.c (2.6.32) iommu_page_fault: printk(KERN_ERR \"DRHD: handling fault status reg %x\"); dmar_fault_do_one: \"DMAR:[%s] Request device [%02x:%02x.%d] fault addr %llx \\n DMAR:[fault reason %02d] %s\" (2.6.32.63 tree)"),
        SkipsHostBridgesInStaticIdentityMap = new(false, Vtd2632 + " iommu_prepare_static_identity_mapping: for_each_pci_dev → iommu_should_identity_map(pdev, 1), no host-bridge test (read in a 2.6.32-era tree)"),
        LegacyWording = new(new("DMAR:", false, false), "drivers/pci/dmar.c (2.6.2x) #define PREFIX \"DMAR:\" (read at v2.6.31 and in 2.6.31.3; the space arrives with a192a9580bc \"ACPI: Move definition of PREFIX from acpi_bus.h to internal..h\", 2.6.32-rc1); intel-iommu.c init_dmars \"IOMMU 0x%Lx: using … invalidation\"; iommu_prepare_rmrr_dev passes end_address + 1"),
        DrhdSanityCheck = new(DrhdSanityCheck.ZeroAtParse, "drivers/pci/dmar.c (2.6.31) dmar_parse_one_drhd: WARN and -ENODEV for address 0 (e523b38e \"intel-iommu: Avoid panic() for DRHD at address zero\", 2.6.30); no all-ones check before \"intel-iommu: Cope with broken HP DC7900 BIOS\" [R]"),
        PrivateDomains = new(false, "no IOMMU-core default domains to override before 5.3"),
        UntrustedBounce = new(Profiles.UntrustedBounce.None, "no bounce pages for untrusted devices before 5.4: the bounce series (\"iommu/vt-d: Add dma sync ops for untrusted devices\", \"iommu/vt-d: Don't switch off swiotlb if bounce page is used\" c5a5dc4cbbf4) landed in 5.4 [R: the first title; 5.4 from c5a5dc4cbbf4 being in 5.4's intel_iommu_init]"),
        PolicyLinesTrailingSpace = new(true, "no policy lines before 5.3 (iommu_subsys_init)"),
        UntrustedStrict = new(false, "no untrusted devices before 5.0 (pci_acpi_set_untrusted, 617654aae50e \"PCI / ACPI: Identify untrusted PCI devices\": absent from 4.20.0, present in 5.0.0); no per-device strictness"),
        IdentityNeedsPassThroughUnit = new(false, Vtd2632 + " init_dmars: a unit without ECAP.PT clears hw_pass_through and si_domain gets software 1:1 tables"),
        IntelOpsIovaFast = new(false, Vtd2632 + " __intel_map_single → intel_alloc_iova → alloc_iova; intel_unmap_page → find_iova, the whole range cleared, __free_iova or add_unmap"),
        DefaultDmaKconfig = new(DefaultDmaKconfig.Absent, "no build option for the default domain: iommu_pass_through is set by iommu=pt alone (arch/x86/kernel/pci-dma.c); CONFIG_IOMMU_DEFAULT_PASSTHROUGH (4.20, drivers/iommu/iommu.c) reaches the Intel driver only from 5.3 (\"x86/dma: Get rid of iommu_pass_through\") [R: titles]"),
        PlatformOptIn = new(PlatformOptIn.None, "platform_optin_force_iommu arrived in 5.0 (\"iommu/vt-d: Force IOMMU on for platform opt in hardware\")"),
        DefaultDomainLog = new(DefaultDomainLog.None, "no IOMMU-core default domains before 5.3: init_dmars owns the domains and iommu_subsys_init does not exist"),
        TranslatedDmaOps = new(TranslatedOps.IntelDmaOps, Vtd2632 + " intel_dma_ops: intel_map_page → __intel_map_single"),
        SacTrickGivesUp = new(false, Vtd2632 + " intel_alloc_iova: every allocation tries below 4 GiB first unless forcedac"),
        IgdDmaMasks = new(IgdDmaMasks.IntelAgp, "drivers/char/agp/intel-agp.c (2.6.31/2.6.32, IGDNG names) agp_intel_probe: pci_set_dma_mask(intel_private.pcidev, DMA_BIT_MASK(36)) when bridge->driver->mask_memory == intel_i965_mask_memory (intel_g33_driver, intel_i965_driver), no coherent mask; drivers/gpu/drm/i915/i915_dma.c (2.6.32) i915_driver_load sets no DMA mask; 2.6.33 taken to be the same [R]"),
        HotAddRaisesMaxPfn = new(false, "arch/x86/mm/init_64.c (2.6.31, 2.6.32) arch_add_memory: init_memory_mapping raises max_pfn_mapped only; max_pfn (what dma_get_required_mask in drivers/base/platform.c reads) stays at its boot value until ea0854170c95 \"memory hotplug: fix a bug on /dev/mem for 64-bit kernels\" (v2.6.33-rc7; stable 2.6.32.19, after the 2.6.32.7 profile)"),
        SwiotlbDynamic = new(false, "no CONFIG_SWIOTLB_DYNAMIC before 6.6: the boot pool is all there is, a full pool fails the map (or, in lib/swiotlb.c, takes the overflow buffer)"),
        DefaultRelease = new("", "the era's own wording (LogDialect.For without a version)"),
        SwiotlbPlacement = new(SwiotlbPlacement.BootmemHint512M, "arch/x86/kernel/pci-dma.c (2.6.31–2.6.33) dma32_reserve_bootmem: 128 MiB reserved with goal 512ULL<<20, freed by dma32_free_bootmem at the start of pci_iommu_alloc just before pci_swiotlb_init; freeing lowers bootmem's hint_idx there, so alloc_bootmem_low_pages puts the pool at ~0x20000000 (2.6.34–2.6.36 early_res and 2.6.37+ memblock place it otherwise)"),
    };
}
