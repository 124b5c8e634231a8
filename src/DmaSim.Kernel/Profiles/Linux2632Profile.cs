using DmaSim.Core;
using static DmaSim.Kernel.Profiles.Sources;

namespace DmaSim.Kernel.Profiles;

/// <summary>What shipped in 2.6.32.</summary>
[ProfileDefinition]
internal static class Linux2632Profile
{
    public static KernelProfile Profile { get; } = Linux2632Rc5Profile.Profile with
    {
        Name = ProfileNames.Linux2632,
        Summary = "what shipped: identity devices whose coherent mask is below the required mask get GFP_DMA32 (GFP_DMA below 32 bits); runtime identity check still dma_mask > 32 bits; bridged devices never identity; init failure falls back to nommu; RMRRs lost on leaving si_domain",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ZoneFromRequiredMask, Vtd2632 + " intel_alloc_coherent: coherent_dma_mask < dma_get_required_mask → GFP_DMA32 (GFP_DMA if < 32 bits)"),
        BridgedDevicesNeverIdentity = new(true, "3dfc813d94bb \"intel-iommu: Don't use identity mapping for PCI devices behind bridges\""),
    };
}
