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
        SkipsHostBridgesInStaticIdentityMap = new(true, "drivers/pci/intel-iommu.c (3.0) iommu_prepare_static_identity_mapping: if (IS_BRIDGE_HOST_DEVICE(pdev)) continue [R: from the issue 9 audit of 3.0]"),
        LegacyWording = new(new("DMAR: ", true, true), "drivers/pci/intel-iommu.c (3.0) init_dmars printk(\"IOMMU %d 0x%Lx: using %s invalidation\", iommu->seq_id, …); iommu_prepare_rmrr_dev passes rmrr->end_address [R: from the issue 9 audit of 3.0]"),
        IgdDmaMasks = new(IgdDmaMasks.I915DmaMaskSize, "drivers/gpu/drm/i915/i915_dma.c (3.x) i915_driver_load: dma_set_coherent_mask 30 on gen2, 32 on Broadwater/Crestline; streaming masks from intel-gtt.c's dma_mask_size (G33/Pineview 36) and gen6_gmch_probe [R: 3.0's own files not read; chips newer than 3.0 get the modern table]"),
        SwiotlbPlacement = new(SwiotlbPlacement.TopDownBelow4G, "3.x memblock: dma32_reserve_bootmem gone; swiotlb_init allocates the pool top-down below 4 GiB [R]"),
    };
}
