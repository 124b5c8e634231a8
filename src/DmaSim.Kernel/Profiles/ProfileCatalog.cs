using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Profiles;

/// <summary>
/// The contract profiles. Each later profile is its predecessor plus the changes that era made,
/// so the list of differences is the history.
/// </summary>
public static class ProfileCatalog
{
    private const string Vtd2632 = "drivers/pci/intel-iommu.c (2.6.32)";

    /// <summary>2.6.31: before the thread. Pass-through devices use swiotlb dma ops.</summary>
    public static readonly KernelProfile Linux2631 = new()
    {
        Name = "linux-2.6.31",
        Summary = "before the thread: hardware pass-through devices use swiotlb dma ops, whose coherent allocator honours the coherent mask",
        Era = Era.T0,
        PassThroughDmaOps = new(PassThroughOps.Swiotlb, "4ed0d3e6c64c \"Intel IOMMU Pass Through Support\"; arch/x86/kernel/pci-swiotlb.c pci_swiotlb_init sets swiotlb when iommu_pass_through"),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ClearZoneFlags, Vtd2632 + " intel_alloc_coherent (only reached by translated devices in 2.6.31)"),
        RuntimeIdentityCheck = new(IdentityCheck.None, "2.6.31 has no si_domain: pass-through is a boot-time, all-device decision (4ed0d3e6c64c)"),
        BridgedDevicesNeverIdentity = new(false, "3dfc813d94bb not yet merged"),
        InitFailureFallback = new(InitFailureFallback.Nommu, "arch/x86/kernel/pci-dma.c pci_iommu_init: no swiotlb fallback before 75f1cdf1dda9"),
        RmrrMappedIntoNewDomains = new(false, Vtd2632 + " get_valid_domain_for_dev: no RMRR setup for new domains"),
        CoherentIovaLimit = new(CoherentIovaLimit.StreamingMask, Vtd2632 + " __intel_map_single passes pdev->dma_mask to intel_alloc_iova"),
        Iova = new(IovaAlgorithm.Linux2632, "drivers/pci/iova.c (2.6.3x) alloc_iova with caller-passed 32-bit limit"),
        DefaultInvalidation = new(InvalidationMode.Lazy, Vtd2632 + " add_unmap / flush_unmaps (HIGH_WATER_MARK 250, 10 ms timer); intel_iommu=strict disables"),
        LazyUnmapQueueCapacity = new(250, Vtd2632 + " add_unmap: if (list_size == HIGH_WATER_MARK) flush_unmaps() before queueing (HIGH_WATER_MARK 250)"),
        DefaultDomainAddressWidth = new(48, Vtd2632 + " DEFAULT_DOMAIN_ADDRESS_WIDTH"),
        ModernSwiotlb = new(false, "lib/swiotlb.c (2.6.3x): single io_tlb_index, overflow buffer, swiotlb_full panic"),
        RmrrDevicesNeverIdentity = new(false, Vtd2632 + " iommu_should_identity_map ignores RMRRs"),
        HotplugExtendsIdentityMap = new(false, "no memory notifier in drivers/pci/intel-iommu.c before 3.15 (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\"); absent from 3.0.8"),
        LogStyle = new(LogStyle.Legacy, "drivers/pci/dmar.c (2.6.3x) printk format \"DMAR:...\""),
        FaultLog = new(FaultLogStyle.TwoLines, "drivers/pci/dmar.c (2.6.32) iommu_page_fault: printk(KERN_ERR \"DRHD: handling fault status reg %x\"); dmar_fault_do_one: \"DMAR:[%s] Request device [%02x:%02x.%d] fault addr %llx \\n DMAR:[fault reason %02d] %s\" (2.6.32.63 tree)"),
        SkipsHostBridgesInStaticIdentityMap = new(false, Vtd2632 + " iommu_prepare_static_identity_mapping: for_each_pci_dev → iommu_should_identity_map(pdev, 1), no host-bridge test (read in a 2.6.32-era tree)"),
        LegacyWording = new(new("DMAR:", false, false), "drivers/pci/dmar.c (2.6.2x) #define PREFIX \"DMAR:\" [R for 2.6.31: no 2.6.31 tree indexed]; intel-iommu.c init_dmars \"IOMMU 0x%Lx: using … invalidation\"; iommu_prepare_rmrr_dev passes end_address + 1"),
        DrhdSanityCheck = new(DrhdSanityCheck.ZeroAtParse, "drivers/pci/dmar.c (2.6.31) dmar_parse_one_drhd: WARN and -ENODEV for address 0 (e523b38e \"intel-iommu: Avoid panic() for DRHD at address zero\", 2.6.30); no all-ones check before \"intel-iommu: Cope with broken HP DC7900 BIOS\" [R]"),
        SwiotlbForceDisablesVtd = new(true, Vtd2632 + " intel_iommu_init: if (no_iommu || swiotlb || dmar_disabled) return -ENODEV; pci_swiotlb_init sets swiotlb for swiotlb=force first"),
        SwiotlbPlacement = new(SwiotlbPlacement.BootmemHint512M, "arch/x86/kernel/pci-dma.c (2.6.3x) dma32_reserve_bootmem (goal 512 MiB) / dma32_free_bootmem before pci_swiotlb_init [R]"),
    };

    /// <summary>2.6.32-rc5: after 19943b0e — the seed bug.</summary>
    public static readonly KernelProfile Linux2632Rc5 = Linux2631 with
    {
        Name = "linux-2.6.32-rc5",
        Summary = "after 19943b0e \"Unify hardware and software passthrough support\": identity devices sit in si_domain and use intel dma ops; intel_alloc_coherent clears GFP_DMA/GFP_DMA32 (the seed bug)",
        Era = Era.T1,
        PassThroughDmaOps = new(PassThroughOps.IntelDmaOps, "19943b0e30b0 \"intel-iommu: Unify hardware and software passthrough support\""),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ClearZoneFlags, Vtd2632 + "-rc5 intel_alloc_coherent: flags &= ~(GFP_DMA | GFP_DMA32) unconditionally"),
        RuntimeIdentityCheck = new(IdentityCheck.StreamingMaskAbove32Bits, Vtd2632 + " iommu_should_identity_map(startup=0): pdev->dma_mask > DMA_BIT_MASK(32)"),
        LegacyWording = new(new("DMAR: ", false, false), "drivers/pci/dmar.c (2.6.32.y stable, read in a 2.6.32.63 tree) #define PREFIX \"DMAR: \""),
        DrhdSanityCheck = new(DrhdSanityCheck.ZeroAndAllOnesAtParse, "drivers/pci/dmar.c alloc_iommu: \"Your BIOS is broken; DMAR reported at address %llx returns all ones!\" (\"intel-iommu: Cope with broken HP DC7900 BIOS\"; present in 2.6.32-rc5 [R])"),
    };

    /// <summary>rc5 plus the thread's first patch.</summary>
    public static readonly KernelProfile Linux2632Rc5Alex = Linux2632Rc5 with
    {
        Name = "linux-2.6.32-rc5+alex",
        Summary = "rc5 plus the thread's first patch: no-mapping devices get GFP_DMA and GFP_DMA32 OR'ed in",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.OrDmaAndDma32, "LKML 2009-10-22 Alex Williamson \"[PATCH] intel-iommu: Fix alloc_coherent for pass-through devices\""),
    };

    /// <summary>rc5 plus David Woodhouse's counter-proposal.</summary>
    public static readonly KernelProfile Linux2632Rc5Dwmw2 = Linux2632Rc5 with
    {
        Name = "linux-2.6.32-rc5+dwmw2",
        Summary = "rc5 plus the thread's counter-proposal: no-mapping devices use dma_generic_alloc_coherent",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.GenericAllocCoherent, "LKML 2009-10-22 David Woodhouse reply: iommu_no_mapping → dma_generic_alloc_coherent"),
    };

    /// <summary>What shipped in 2.6.32.</summary>
    public static readonly KernelProfile Linux2632 = Linux2632Rc5 with
    {
        Name = "linux-2.6.32",
        Summary = "what shipped: identity devices whose coherent mask is below the required mask get GFP_DMA32 (GFP_DMA below 32 bits); runtime identity check still dma_mask > 32 bits; bridged devices never identity; init failure falls back to nommu; RMRRs lost on leaving si_domain",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ZoneFromRequiredMask, Vtd2632 + " intel_alloc_coherent: coherent_dma_mask < dma_get_required_mask → GFP_DMA32 (GFP_DMA if < 32 bits)"),
        BridgedDevicesNeverIdentity = new(true, "3dfc813d94bb \"intel-iommu: Don't use identity mapping for PCI devices behind bridges\""),
    };

    /// <summary>
    /// A 2.6.32 stable release with "intel-iommu: Detect DMAR in hyperspace at probe time" backported: a DRHD
    /// at zero or reading all ones disables remapping before the swiotlb decision, so the machine bounces.
    /// </summary>
    public static readonly KernelProfile Linux2632Stable = Linux2632 with
    {
        Name = "linux-2.6.32.7",
        Summary = "2.6.32 stable with the probe-time BIOS checks: a DRHD at address zero or reading all ones sets dmar_disabled in detect_intel_iommu, so iommu_detected stays 0 and pci_swiotlb_init sets up swiotlb",
        DrhdSanityCheck = new(DrhdSanityCheck.AtProbe, "drivers/pci/dmar.c (2.6.32.y stable, read in a 2.6.32.63 tree) detect_intel_iommu: ret = check_zero_address(); ... if (ret && !no_iommu && !iommu_detected && !swiotlb && !dmar_disabled) iommu_detected = 1 (\"intel-iommu: Detect DMAR in hyperspace at probe time\")"),
    };

    /// <summary>2.6.33: swiotlb survives a VT-d init failure.</summary>
    public static readonly KernelProfile Linux2633 = Linux2632 with
    {
        Name = "linux-2.6.33",
        Summary = "2.6.32 plus swiotlb kept as the fallback when VT-d init fails (75f1cdf1dda9)",
        Era = Era.T2,
        InitFailureFallback = new(InitFailureFallback.Swiotlb, "75f1cdf1dda9 \"x86: Handle HW IOMMU initialization failure gracefully\""),
        DrhdSanityCheck = new(DrhdSanityCheck.AtProbe, "drivers/pci/dmar.c (2.6.33) detect_intel_iommu → check_zero_address (\"intel-iommu: Detect DMAR in hyperspace at probe time\", v2.6.33-rc1)"),
        SwiotlbForceDisablesVtd = new(false, "75f1cdf1dda9: intel_iommu_init checks only no_iommu || dmar_disabled and clears swiotlb once VT-d is up [R]"),
    };

    /// <summary>The 2011 fixes.</summary>
    public static readonly KernelProfile Linux30 = Linux2633 with
    {
        Name = "linux-3.0",
        Summary = "the 2011 fixes: identity iff min(dma_mask, coherent mask) ≥ required mask; coherent IOVAs allocated below the coherent mask",
        Era = Era.T3,
        RuntimeIdentityCheck = new(IdentityCheck.MinMaskCoversRequiredMask, "\"intel-iommu: Check for identity mapping candidate using system dma mask\" (2.6.39/3.0; drivers/pci/intel-iommu.c iommu_should_identity_map)"),
        CoherentIovaLimit = new(CoherentIovaLimit.CoherentMask, "\"intel-iommu: Use coherent DMA mask when requested\" (2.6.39/3.0)"),
        SkipsHostBridgesInStaticIdentityMap = new(true, "drivers/pci/intel-iommu.c (3.0) iommu_prepare_static_identity_mapping: if (IS_BRIDGE_HOST_DEVICE(pdev)) continue [R: from the issue 9 audit of 3.0]"),
        LegacyWording = new(new("DMAR: ", true, true), "drivers/pci/intel-iommu.c (3.0) init_dmars printk(\"IOMMU %d 0x%Lx: using %s invalidation\", iommu->seq_id, …); iommu_prepare_rmrr_dev passes rmrr->end_address [R: from the issue 9 audit of 3.0]"),
        SwiotlbPlacement = new(SwiotlbPlacement.TopDownBelow4G, "3.x memblock: dma32_reserve_bootmem gone; swiotlb_init allocates the pool top-down below 4 GiB [R]"),
    };

    /// <summary>Modern mainline.</summary>
    public static readonly KernelProfile Linux61 = Linux30 with
    {
        Name = "linux-6.1",
        Summary = "modern: IOMMU-core default domain types (identity / DMA / DMA-FQ); identity → dma-direct + swiotlb; translated → dma-iommu; RMRRs as direct-mapped reserved regions",
        Era = Era.T4,
        PassThroughDmaOps = new(PassThroughOps.DmaDirect, "drivers/iommu/dma-iommu.c iommu_setup_dma_ops: identity default domain → no ops (dma-direct)"),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.DmaDirect, "kernel/dma/direct.c dma_direct_alloc / __dma_direct_alloc_pages"),
        RuntimeIdentityCheck = new(IdentityCheck.None, "drivers/iommu/iommu.c: default domain chosen at probe; no runtime mask re-check"),
        RmrrMappedIntoNewDomains = new(true, "drivers/iommu/iommu.c iommu_create_device_direct_mappings (IOMMU_RESV_DIRECT regions from intel_iommu_get_resv_regions)"),
        Iova = new(IovaAlgorithm.Modern, "drivers/iommu/iova.c alloc_iova_fast / free_iova_fast"),
        DefaultInvalidation = new(InvalidationMode.Lazy, "drivers/iommu/iommu.c iommu_subsys_init: DMA upgraded to DMA_FQ unless strict; dma-iommu.c flush queue"),
        FaultLog = new(FaultLogStyle.RatelimitedOneLine, "drivers/iommu/intel/dmar.c (6.1) dmar_fault: DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST); dmar_fault_do_one pr_err(\"[%s NO_PASID] Request device [%02x:%02x.%d] fault addr 0x%llx [fault reason 0x%02x] %s\") [R]"),
        LazyUnmapQueueCapacity = new(255, "drivers/iommu/dma-iommu.c (6.1) queue_iova: fq_full() is ((tail + 1) % IOVA_FQ_SIZE) == head, so a 256-slot ring holds 255 IOVAs before fq_flush_iotlb"),
        DefaultDomainAddressWidth = new(57, "drivers/iommu/intel/iommu.h DEFAULT_DOMAIN_ADDRESS_WIDTH"),
        ModernSwiotlb = new(true, "kernel/dma/swiotlb.c (areas, \"swiotlb buffer is full\")"),
        HotplugExtendsIdentityMap = new(true, "drivers/iommu/intel/iommu.c (6.1) intel_iommu_init: register_memory_notifier when si_domain has software tables; intel_iommu_memory_notifier (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\", 3.15)"),
        LogStyle = new(LogStyle.Modern, "drivers/iommu/intel/dmar.c pr_fmt \"DMAR: \""),
    };

    public static IReadOnlyList<KernelProfile> All { get; } =
        [Linux2631, Linux2632Rc5, Linux2632Rc5Alex, Linux2632Rc5Dwmw2, Linux2632, Linux2632Stable, Linux2633, Linux30, Linux61];

    public static KernelProfile? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
