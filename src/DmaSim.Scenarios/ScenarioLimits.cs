using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>
/// The bounds a scenario is held to (docs/limits.md), each refused at FILE:LINE:COL. They keep one
/// input from taking unbounded memory or time: the simulated machine is sparse, but a transfer's
/// bytes are real bytes and every transfer is real work.
/// </summary>
public static class ScenarioLimits
{
    /// <summary>
    /// One device or CPU access (`bytes:`, or a whole buffer when `bytes:` is left out) moves at most
    /// this much: the bytes are generated, copied and compared for real.
    /// </summary>
    public const ulong MaxAccessBytes = 64UL << 20;

    /// <summary>`run: io` transfers per step (`count:`); each is a map, a DMA and an unmap.</summary>
    public const ulong MaxRunCount = 1UL << 16;

    /// <summary>`run: io` bytes per transfer (`size:`).</summary>
    public const ulong MaxRunTransferBytes = MaxAccessBytes;

    /// <summary>`repeat:` on a step.</summary>
    public const int MaxRepeat = 1 << 20;

    /// <summary>Operations of a whole workload: each step's repeat × (its count for `run:`), summed.</summary>
    public const ulong MaxOperations = 1UL << 21;

    /// <summary>Bytes the `run: io` jobs of a workload move (repeat × count × size, summed): each is written, moved and read back for real, 4 GiB took up to 12 s.</summary>
    public const ulong MaxRunBytes = 2UL << 30;

    /// <summary>The transfer size of a `run: io` step without `size:` (the storage model's default).</summary>
    public const ulong DefaultRunTransferBytes = 64UL << 10;

    /// <summary>Refused with the place of the op: an access larger than <see cref="MaxAccessBytes"/>.</summary>
    public static InputException AccessTooLarge(SourceSpan at, string what, ulong bytes) =>
        new(at, $"{what} of {Sizes.Format(bytes)} moves more than {Sizes.Format(MaxAccessBytes)} in one access (docs/limits.md); give 'bytes:' and split it into several ops");
}
