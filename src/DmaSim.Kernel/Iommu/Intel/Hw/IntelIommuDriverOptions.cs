namespace DmaSim.Kernel.Iommu.Intel.Hw;

/// <summary>How the driver invalidates the unit's caches.</summary>
public enum InvalidationMethod
{
    /// <summary>CCMD and IOTLB registers (Linux <c>__iommu_flush_context</c>, <c>__iommu_flush_iotlb</c>).</summary>
    Register,
    /// <summary>Invalidation queue with a wait descriptor per batch (Linux <c>qi_flush_context</c>, <c>qi_flush_iotlb</c>, <c>qi_submit_sync</c>).</summary>
    Queued,
}

/// <summary>
/// Era-dependent choices of the low-level driver. Defaults are Linux 2.6.32 (<c>drivers/pci/intel-iommu.c</c>,
/// <c>drivers/pci/dmar.c</c>); <see cref="Modern"/> gives the T4 values (linux-semantics.md §7).
/// </summary>
public sealed record IntelIommuDriverOptions
{
    /// <summary>DEFAULT_DOMAIN_ADDRESS_WIDTH: 48 in 2.6.32, 57 in modern kernels (linux-semantics.md §7.1).</summary>
    public int DefaultDomainAddressWidth { get; init; } = 48;

    /// <summary>
    /// Forced invalidation method; null picks what <c>init_dmars</c> does: queued invalidation when ECAP.QI is set
    /// (<c>dmar_enable_qi</c> succeeds), register-based otherwise.
    /// </summary>
    public InvalidationMethod? Invalidation { get; init; }

    /// <summary>
    /// 2.6.32 <c>domain_context_mapping_one</c> flushes the IOTLB of "special domain #0" after a not-present →
    /// present context change in caching mode; later kernels flush the device's own domain id.
    /// </summary>
    public bool CachingModeFlushesDomainZero { get; init; } = true;

    /// <summary>
    /// Modern <c>calculate_psi_aligned_address</c> widens the PSI mask until the aligned window covers the
    /// range; 2.6.32 <c>iommu_flush_iotlb_psi</c> uses ilog2(roundup_pow_of_two(pages)) on the unaligned address.
    /// </summary>
    public bool AlignPageSelectiveRange { get; init; }

    /// <summary>Linux 2.6.32 defaults.</summary>
    public static IntelIommuDriverOptions Linux2632 { get; } = new();

    /// <summary>Modern (6.x) values.</summary>
    public static IntelIommuDriverOptions Modern { get; } = new()
    {
        DefaultDomainAddressWidth = 57,
        CachingModeFlushesDomainZero = false,
        AlignPageSelectiveRange = true,
    };
}
