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
    };
}
