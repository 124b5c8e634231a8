using DmaSim.Kernel.Boot;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// Where 5.3 – 5.4.6 lost a device's RMRR direct mappings (<see cref="Profiles.KernelProfile.LosesRmrrDirectMappings"/>):
/// the RMRRs of a device that switched its group's default domain to DMA at probe went into the old identity domain, and
/// a group DMA domain that had lost a device to a private domain refused every later iommu_map, so the RMRRs of devices
/// added after that were never mapped. The firmware's DMA into those RMRRs then faults ("PTE Read access is not set").
/// </summary>
public sealed class DirectMappingLoss
{
    private readonly HashSet<int> _lostChildren = [];

    private DirectMappingLoss(bool applies) => Applies = applies;

    /// <summary>Whether this run's kernel has the bugs: the profile's rule, unless the release is 5.4.7 or later (the stable fixes).</summary>
    public bool Applies { get; }

    public static DirectMappingLoss For(KernelContext k)
    {
        ArgumentNullException.ThrowIfNull(k);
        var fixedRelease = k.Release is { } v && v >= new KernelVersion(5, 4, 7);
        return new DirectMappingLoss(k.Profile.LosesRmrrDirectMappings.Value && !fixedRelease);
    }

    /// <summary>A device of the group took a private domain: intel_iommu_add_device flags the group's domain DOMAIN_FLAG_LOSE_CHILDREN.</summary>
    public void LostChild(int group)
    {
        if (Applies) _lostChildren.Add(group);
    }

    /// <summary>Whether iommu_map into the group's DMA domain still succeeds.</summary>
    public bool Maps(int group) => !Applies || !_lostChildren.Contains(group);
}
