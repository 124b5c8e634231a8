namespace DmaSim.Kernel;

/// <summary>
/// The kernel build's default-domain choice (drivers/iommu/Kconfig "IOMMU default domain type"):
/// CONFIG_IOMMU_DEFAULT_DMA_LAZY, _DMA_STRICT or CONFIG_IOMMU_DEFAULT_PASSTHROUGH. Which of them an era
/// has, and whether the Intel driver follows it, is the profile's <see cref="Profiles.DefaultDmaKconfig"/>.
/// </summary>
public enum BuildDefaultDma
{
    Lazy,
    Strict,
    Passthrough,
}
