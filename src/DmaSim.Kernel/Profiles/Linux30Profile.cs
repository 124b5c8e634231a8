using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 2011 fixes.</summary>
[ProfileDefinition]
internal static class Linux30Profile
{
    public static KernelProfile Profile { get; } = Linux2633Profile.Profile with
    {
        Name = ProfileNames.Linux30,
        Summary = "the 2011 fixes: identity iff min(dma_mask, coherent mask) ≥ required mask; coherent IOVAs allocated below the coherent mask",
        Era = Era.T3,
        RuntimeIdentityCheck = new(IdentityCheck.MinMaskCoversRequiredMask, "\"intel-iommu: Check for identity mapping candidate using system dma mask\" (2.6.39/3.0; drivers/pci/intel-iommu.c iommu_should_identity_map)"),
        CoherentIovaLimit = new(CoherentIovaLimit.CoherentMask, "\"intel-iommu: Use coherent DMA mask when requested\" (2.6.39/3.0)"),
        SkipsHostBridgesInStaticIdentityMap = new(true, "drivers/pci/intel-iommu.c (3.0) iommu_prepare_static_identity_mapping: if (IS_BRIDGE_HOST_DEVICE(pdev)) continue, before iommu_should_identity_map(pdev, 1) — read in 3.0.1 and 3.0.8 (825507d6d059 \"intel-iommu: Remove Host Bridge devices from identity mapping\", 3.0, also stable 2.6.39.2); the runtime check does not skip them"),
        LegacyWording = new(new("DMAR: ", true, true, KnowsSpOff: true), "drivers/pci/intel-iommu.c (3.0) init_dmars printk(\"IOMMU %d 0x%Lx: using %s invalidation\", iommu->seq_id, …); the unit number since 680a7524622 \"intel-iommu: Print out iommu seq_id\" (2.6.35); iommu_prepare_rmrr_dev passes rmrr->end_address (inclusive; the ISA map 16 MiB - 1) — read in 3.0.1, 3.0.8 and 3.0.86, where 2.6.39.3 still passed end_address + 1 [commit not pinned]"),
        IgdDmaMasks = new(IgdDmaMasks.I915DmaMaskSize, "drivers/gpu/drm/i915/i915_dma.c (3.x) i915_driver_load: dma_set_coherent_mask 30 on gen2, 32 on Broadwater/Crestline; streaming masks from intel-gtt.c's dma_mask_size (G33/Pineview 36) and gen6_gmch_probe [R: 3.0's own files not read; chips newer than 3.0 get the modern table]"),
        SwiotlbPlacement = new(SwiotlbPlacement.TopDownBelow4G, "arch/x86/kernel/pci-dma.c (3.0.1, 3.0.8): dma32_reserve_bootmem gone (still in 2.6.39.3) [removal commit not pinned]; swiotlb_init's early allocation goes through memblock (2.6.37+), which searches top-down below ARCH_LOW_ADDRESS_LIMIT"),
    };
}
