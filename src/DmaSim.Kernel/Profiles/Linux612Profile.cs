using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 6.12 LTS line: identity domains only where the hardware passes through.</summary>
[ProfileDefinition]
internal static class Linux612Profile
{
    public static KernelProfile Profile { get; } = Linux66Profile.Profile with
    {
        Name = ProfileNames.Linux612,
        Summary = "6.12 LTS: identity is hardware pass-through only — a device under a unit without ECAP.PT gets a (strict) DMA domain even under iommu=pt; no software 1:1 tables, no memory notifier (IOVA allocator as recorded from 6.12's iova.c in samples/iova-traces)",
        IdentityNeedsPassThroughUnit = new(true, "drivers/iommu/intel/iommu.c (6.12) device_def_domain_type: if (!ecap_pass_through(iommu->ecap)) return IOMMU_DOMAIN_DMA (184bee388d46 \"iommu/vt-d: Require DMA domain if hardware not support passthrough\"); si_domain has no 1:1 tables and init_dmars no hw_pass_through (9e74e1b8198f \"iommu/vt-d: Remove identity mappings from si_domain\"), both in the vtd-update-for-v6.12 pull; the requested DMA type is allocated as is (iommu.c iommu_group_alloc_default_domain), so those domains are strict"),
        IgfxOffIdentityMapsGraphics = new(false, "ba00196ca41c \"iommu/vt-d: Decouple igfx_off from graphic identity mapping\" (6.10): dmar_map_gfx becomes disable_igfx_iommu, IDENTMAP_GFX is gone from init_dmars and device_def_domain_type; igfx_off only ignores a graphics-dedicated unit"),
        HotplugExtendsIdentityMap = new(false, "9e74e1b8198f \"iommu/vt-d: Remove identity mappings from si_domain\" (6.12) deletes intel_iommu_memory_notifier: identity is hardware pass-through only"),
        DefaultRelease = new("6.12.0", "linux-6.12: the 6.12 wording"),
    };
}
