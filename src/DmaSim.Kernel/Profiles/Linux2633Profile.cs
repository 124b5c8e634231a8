using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>2.6.33: swiotlb survives a VT-d init failure.</summary>
[ProfileDefinition]
internal static class Linux2633Profile
{
    public static KernelProfile Profile { get; } = Linux2632Profile.Profile with
    {
        Name = ProfileNames.Linux2633,
        Summary = "2.6.32 plus swiotlb kept as the fallback when VT-d init fails (75f1cdf1dda9)",
        Era = Era.T2,
        InitFailureFallback = new(InitFailureFallback.Swiotlb, "75f1cdf1dda9 \"x86: Handle HW IOMMU initialization failure gracefully\""),
        DrhdSanityCheck = new(DrhdSanityCheck.AtProbe, "drivers/pci/dmar.c (2.6.33) detect_intel_iommu → check_zero_address (\"intel-iommu: Detect DMAR in hyperspace at probe time\", v2.6.33-rc1)"),
        SwiotlbForceDisablesVtd = new(false, "75f1cdf1dda9 \"x86: Handle HW IOMMU initialization failure gracefully\" (v2.6.33-rc1): intel_iommu_init's test becomes `no_iommu || dmar_disabled` (was `|| swiotlb`) and it clears swiotlb once VT-d is up"),
        HotAddRaisesMaxPfn = new(true, "arch/x86/mm/init_64.c arch_add_memory → update_end_of_memory_vars: max_pfn = max_low_pfn = end_pfn when the new memory ends above it (ea0854170c95 \"memory hotplug: fix a bug on /dev/mem for 64-bit kernels\", v2.6.33-rc7)"),
        IommuReleasesSwiotlb = new(true, "75f1cdf1dda9 \"x86: Handle HW IOMMU initialization failure gracefully\": the pool is set up whenever RAM goes above 4 GiB and freed when an IOMMU takes over"),
    };
}
