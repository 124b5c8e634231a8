using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 4.19 LTS line: still init_dmars' own domains, with the 4.x wording, IOMMU groups, RMRR devices refused to VFIO.</summary>
[ProfileDefinition]
internal static class Linux419Profile
{
    public static KernelProfile Profile { get; } = Linux30Profile.Profile with
    {
        Name = ProfileNames.Linux419,
        Summary = "4.19 LTS: init_dmars still owns the domains (si_domain, runtime identity re-check, intel_dma_ops); 4.1+ \"DMAR: \" wording; IOMMU groups; RMRR devices refused to VFIO (3.17); RMRRs mapped into new domains",
        LogStyle = new(LogStyle.Modern, "drivers/iommu/dmar.c and intel-iommu.c (4.1+): #define pr_fmt(fmt) \"DMAR: \" fmt (\"iommu/vt-d: Cleanup log messages\", 4.1); the 4.19.132 log in samples/dmesg (hp-proliant-dl360-g6) prints \"DMAR: Setting identity map for device …\""),
        DefaultRelease = new("4.19.0", "linux-4.19: the 4.19 wording (LogDialect 4.12+: e820 lines without the \"e820: \" prefix)"),
        IommuGroups = new(new Iommu.PciDeviceGroups(), "drivers/iommu/iommu.c (4.19) pci_device_group, called from intel_iommu_add_device → iommu_group_get_for_dev (IOMMU groups since 3.5)"),
        VfioRmrr = new(Iommu.VfioRmrrPolicy.RmrrBlocksAll, "drivers/iommu/intel-iommu.c (4.19) intel_iommu_attach_device: device_is_rmrr_locked → \"Device is ineligible for IOMMU domain attach due to platform RMRR requirement\" (\"iommu/vt-d: Suppress RMRR device assignment\", 3.17)"),
        RmrrMappedIntoNewDomains = new(true, "drivers/iommu/intel-iommu.c (4.x) get_valid_domain_for_dev: \"We have a new domain - setup possible RMRRs for the device\" (for_each_rmrr_units → domain_prepare_identity_map) [R: the 4.x release of the change not pinned]"),
        HotplugExtendsIdentityMap = new(true, "drivers/iommu/intel-iommu.c (3.15+) intel_iommu_memory_notifier (\"iommu/vt-d: Update IOMMU state when memory hotplug happens\")"),
    };
}
