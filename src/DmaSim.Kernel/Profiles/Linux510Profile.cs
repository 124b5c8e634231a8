using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 5.10 LTS line: device_def_domain_type decides once at probe; no private domains, no runtime re-check.</summary>
[ProfileDefinition]
internal static class Linux510Profile
{
    public static KernelProfile Profile { get; } = Linux54Profile.Profile with
    {
        Name = ProfileNames.Linux510,
        Summary = "5.10 LTS: the group's default domain stays (def_domain_type, no private domains); identity devices use dma-direct, so a 32-bit device under iommu=pt bounces through the swiotlb pool, which VT-d now keeps; translated devices still on intel_dma_ops",
        LosesRmrrDirectMappings = new(false, "fixed in 5.5-rc2: \"iommu: set group default domain before creating direct mappings\", \"iommu/vt-d: Fix dmar pte read access not set error\""),
        PrivateDomains = new(false, "drivers/iommu/intel/iommu.c (5.10): intel_iommu_add_device gone, the core asks ops->def_domain_type (device_def_domain_type) when it allocates the group's default domain (\"iommu/vt-d: Add def_domain_type callback\" / private-domain removal, 5.8) [R: commit titles from the 5.8 series, not re-read]"),
        RuntimeIdentityCheck = new(IdentityCheck.None, "\"iommu/vt-d: Don't force 32bit devices to uses DMA domain\" (Lu Baolu, 5.7): iommu_need_mapping returns !identity_mapping(dev); no runtime move out of si_domain"),
        PassThroughDmaOps = new(PassThroughOps.DmaDirect, "drivers/iommu/intel/iommu.c (5.8+): per-device dma_ops, set only for translated devices; identity devices keep none → dma-direct (+ swiotlb) (\"iommu/vt-d: Use per-device dma_ops\") [R: title]"),
        IommuReleasesSwiotlb = new(false, "\"iommu/vt-d: Don't force 32bit devices to uses DMA domain\" (5.7) deletes intel_iommu_init's \"swiotlb = 0\", so pci_iommu_init keeps and announces the pool; the 5.11.22 log in samples/dmesg (dell-precision-t7500) prints \"PCI-DMA: Using software bounce buffering\""),
        PlatformOptIn = new(PlatformOptIn.DefaultPassthrough, "drivers/iommu/intel/iommu.c platform_optin_force_iommu: if (dmar_disabled) iommu_set_default_passthrough(false) — identity for every device the core does not force to DMA (untrusted ones: iommu_get_def_domain_type) [R: the release that replaced IDENTMAP_ALL with iommu_set_default_passthrough not pinned; 6.x code read]"),
        UntrustedBounce = new(Profiles.UntrustedBounce.IntelBounceOps, "drivers/iommu/intel/iommu.c (5.10) intel_iommu_probe_finalize: device_needs_bounce → set_dma_ops(&bounce_dma_ops) without a line (\"iommu/vt-d: Apply per-device dma_ops\", 5.8, removed the dev_info); bounce_map_single as in 5.4"),
        RmrrDevicesNeverIdentity = new(false, "\"iommu/vt-d: Allow devices with RMRRs to use identity domain\" (9235cb13d7d1, 5.6; in 5.5.y stable): device_def_domain_type no longer asks device_is_rmrr_locked, so an RMRR device takes the identity default like any other (its RMRRs are already 1:1 there)"),
        DefaultRelease = new("5.10.0", "linux-5.10: the 5.10 wording"),
    };
}
