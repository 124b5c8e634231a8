using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>
/// A 2.6.32 stable release with "intel-iommu: Detect DMAR in hyperspace at probe time" backported: a DRHD
/// at zero or reading all ones disables remapping before the swiotlb decision, so the machine bounces.
/// </summary>
[ProfileDefinition]
internal static class Linux263207Profile
{
    public static KernelProfile Profile { get; } = Linux2632Profile.Profile with
    {
        Name = ProfileNames.Linux263207,
        Summary = "2.6.32 stable with the probe-time BIOS checks: a DRHD at address zero or reading all ones sets dmar_disabled in detect_intel_iommu, so iommu_detected stays 0 and pci_swiotlb_init sets up swiotlb",
        DrhdSanityCheck = new(DrhdSanityCheck.AtProbe, "drivers/pci/dmar.c (2.6.32.y stable, read in a 2.6.32.63 tree) detect_intel_iommu: ret = check_zero_address(); ... if (ret && !no_iommu && !iommu_detected && !swiotlb && !dmar_disabled) iommu_detected = 1 (\"intel-iommu: Detect DMAR in hyperspace at probe time\")"),
    };
}
