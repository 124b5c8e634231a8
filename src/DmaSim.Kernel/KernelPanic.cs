namespace DmaSim.Kernel;

/// <summary>
/// panic(): the simulated kernel stops. Thrown where the real kernel calls panic() (lib/swiotlb.c
/// swiotlb_full and swiotlb_map_page in 2.6.3x; IOMMU_WAIT_OP in include/linux/intel-iommu.h); the
/// simulation catches it, prints "Kernel panic - not syncing: …" once and runs nothing after it.
/// </summary>
public sealed class KernelPanicException : Exception
{
    public KernelPanicException(string reason, bool logged = false)
        : base("Kernel panic - not syncing: " + reason)
    {
        Reason = reason;
        Logged = logged;
    }

    /// <summary>The panic() argument, as the kernel prints it after "not syncing: ".</summary>
    public string Reason { get; }

    /// <summary>Whether the "Kernel panic - not syncing" line is already in the log (printed where the panic happened).</summary>
    public bool Logged { get; }

    /// <summary>The kernel's panic line.</summary>
    public string LogLine => Message;
}
