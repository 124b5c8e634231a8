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
        PolicyLinesTrailingSpace = new(false, "drivers/iommu/iommu.c (6.5+) iommu_subsys_init: pr_info(\"Default domain type: %s%s\\n\") and (\"… %s mode%s\\n\") with \" (set via kernel command line)\" (32261d10943b \"iommu: Suppress empty whitespaces in prints\", Florian Fainelli, in \"[git pull] IOMMU Updates for Linux v6.5\")"),
        SwiotlbDynamic = new(true, "kernel/dma/swiotlb.c (6.6) swiotlb_find_slots: with CONFIG_SWIOTLB_DYNAMIC (Kconfig default n) and mem->can_grow, a search that finds no room schedules mem->dyn_alloc (swiotlb_dyn_alloc: a new pool below mem->phys_limit = ARCH_LOW_ADDRESS_LIMIT, GFP_KERNEL) and serves the request from a transient pool (swiotlb_alloc_pool(dev, nslabs, nslabs, 1, min_not_zero(*dev->dma_mask, dev->bus_dma_limit), GFP_NOWAIT)), freed at unmap by swiotlb_del_transient (Petr Tesarik's series, \"[GIT PULL] dma-mapping updates for Linux 6.6\": \"swiotlb: if swiotlb is full, fall back to a transient memory pool\", \"swiotlb: allocate a new memory pool when existing pools are full\")"),
        DefaultRelease = new("6.6.0", "linux-6.6: the 6.6 wording"),
    };
}
