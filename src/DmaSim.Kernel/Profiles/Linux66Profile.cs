using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 6.6 LTS line: the PCI SAC trick gives up after one failure.</summary>
[ProfileDefinition]
internal static class Linux66Profile
{
    public static KernelProfile Profile { get; } = Linux61Profile.Profile with
    {
        Name = ProfileNames.Linux66,
        Summary = "6.6 LTS: a PCI device whose below-4-GiB IOVA attempt fails once stops trying and is told \"Using N-bit DMA addresses\" (6.4)",
        SacTrickGivesUp = new(true, "\"iommu: Optimise PCI SAC address trick\" (Robin Murphy, 6.4): drivers/iommu/dma-iommu.c iommu_dma_alloc_iova clears dev->iommu->pci_32bit_workaround after a failed 32-bit alloc_iova_fast and dev_notice(\"Using %d-bit DMA addresses\\n\", bits_per(dma_limit))"),
        PolicyLinesTrailingSpace = new(false, "drivers/iommu/iommu.c (6.5+) iommu_subsys_init: pr_info(\"Default domain type: %s%s\\n\") and (\"… %s mode%s\\n\") with \" (set via kernel command line)\" (\"iommu: Suppress empty whitespaces in prints\", Florian Fainelli, May 2023) [R: merged for 6.5, from the patch date]"),
        DefaultRelease = new("6.6.0", "linux-6.6: the 6.6 wording"),
    };
}
