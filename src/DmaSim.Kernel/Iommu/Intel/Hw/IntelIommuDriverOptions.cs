using DmaSim.Kernel.Profiles;

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
/// What the low-level driver needs to know of its kernel's decisions. The kernel builds it from the profile
/// (<see cref="For"/>), which is where the era values and their sources live; the property defaults are
/// 2.6.32's, for tests that drive a unit without a kernel.
/// </summary>
public sealed record IntelIommuDriverOptions
{
    /// <summary>DEFAULT_DOMAIN_ADDRESS_WIDTH (<see cref="KernelProfile.DefaultDomainAddressWidth"/>).</summary>
    public int DefaultDomainAddressWidth { get; init; } = 48;

    /// <summary>
    /// Forced invalidation method; null picks what <c>init_dmars</c> does: queued invalidation when ECAP.QI is set
    /// (<c>dmar_enable_qi</c> succeeds), register-based otherwise.
    /// </summary>
    public InvalidationMethod? Invalidation { get; init; }

    /// <summary>Caching-mode flushes after a not-present → present change target domain 0 (<see cref="KernelProfile.CachingModeFlushesDomainZero"/>).</summary>
    public bool CachingModeFlushesDomainZero { get; init; } = true;

    /// <summary>PSI widens its mask to an aligned window (<see cref="KernelProfile.AlignPageSelectiveRange"/>).</summary>
    public bool AlignPageSelectiveRange { get; init; }

    /// <summary>The options a kernel of this profile runs its unit drivers with.</summary>
    public static IntelIommuDriverOptions For(KernelProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new()
        {
            DefaultDomainAddressWidth = profile.DefaultDomainAddressWidth.Value,
            CachingModeFlushesDomainZero = profile.CachingModeFlushesDomainZero.Value,
            AlignPageSelectiveRange = profile.AlignPageSelectiveRange.Value,
        };
    }
}
