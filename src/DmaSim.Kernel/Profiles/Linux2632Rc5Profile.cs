using DmaSim.Core;
using static DmaSim.Kernel.Profiles.Sources;

namespace DmaSim.Kernel.Profiles;

/// <summary>2.6.32-rc5: after 19943b0e — the seed bug.</summary>
[ProfileDefinition]
internal static class Linux2632Rc5Profile
{
    public static KernelProfile Profile { get; } = Linux2631Profile.Profile with
    {
        Name = ProfileNames.Linux2632Rc5,
        Summary = "after 19943b0e \"Unify hardware and software passthrough support\": identity devices sit in si_domain and use intel dma ops; intel_alloc_coherent clears GFP_DMA/GFP_DMA32 (the seed bug)",
        Era = Era.T1,
        PassThroughDmaOps = new(PassThroughOps.IntelDmaOps, "19943b0e30b0 \"intel-iommu: Unify hardware and software passthrough support\""),
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.ClearZoneFlags, Vtd2632 + "-rc5 intel_alloc_coherent: flags &= ~(GFP_DMA | GFP_DMA32) unconditionally"),
        RuntimeIdentityCheck = new(IdentityCheck.StreamingMaskAbove32Bits, Vtd2632 + " iommu_should_identity_map(startup=0): pdev->dma_mask > DMA_BIT_MASK(32)"),
        LegacyWording = new(new("DMAR: ", false, false), "drivers/pci/dmar.c (2.6.32.y stable, read in a 2.6.32.63 tree) #define PREFIX \"DMAR: \""),
        DrhdSanityCheck = new(DrhdSanityCheck.ZeroAndAllOnesAtParse, "drivers/pci/dmar.c alloc_iommu: \"Your BIOS is broken; DMAR reported at address %llx returns all ones!\" (\"intel-iommu: Cope with broken HP DC7900 BIOS\"; present in 2.6.32-rc5 [R])"),
        IdentityMapping = new(IdentityMapping.StaticIdentityDomain, "19943b0e30b0: si_domain_init, iommu_prepare_static_identity_mapping"),
        IommuReleasesSwiotlb = new(false, "arch/x86/kernel/pci-swiotlb.c (2.6.32) pci_swiotlb_init: no pool when an IOMMU was detected, so nothing to free (freeing arrived with 75f1cdf1dda9)"),
    };
}
