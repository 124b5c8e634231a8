using System.Collections.Immutable;

namespace DmaSim.Core;

/// <summary>
/// What a checker found. The contract word of each kind (JSON `findings[].kind`, scenario
/// `expect: { device, finding: KIND }`) is in <see cref="FindingKinds"/>; docs/checking.md lists them
/// with their sources. The DMA-API debug kinds are the message classes of kernel/dma/debug.c.
/// </summary>
public enum FindingKind
{
    // Physical truth (DmaSim.Checking.PhysicalTruthChecker).
    IommuFault,
    FirmwareDmaBlocked,
    StrayWrite,
    StrayControlRead,
    StrayDataRead,
    /// <summary>dma_alloc_coherent handed the driver a DMA address above the device's coherent mask (flagged at the call, before any DMA).</summary>
    CoherentAboveMask,
    /// <summary>A device access running past the end of the buffer it was given.</summary>
    OutOfMapping,
    /// <summary>A device access through a handle the driver had already unmapped or freed.</summary>
    UseAfterUnmap,

    // What the driver or device model saw.
    DataMismatch,
    MapError,
    Oom,
    CoherentAllocFailed,
    Stall,
    UnsupportedJob,
    NoRmrr,
    /// <summary>The kernel panicked (at boot or in the workload): nothing ran after it.</summary>
    KernelPanic,

    // CONFIG_DMA_API_DEBUG (kernel/dma/debug.c): check_unmap.
    FreeInvalidAddress,
    FreeNotAllocated,
    FreeDifferentSize,
    FreeWrongFunction,
    FreeDifferentCpuAddress,
    FreeDifferentSgCount,
    FreeDifferentDirection,
    MapErrorNotChecked,

    // check_sync.
    SyncNotAllocated,
    SyncDifferentDirection,
    SyncReadOnlyForCpu,
    SyncWriteOnlyToDevice,
    SyncDifferentSgCount,

    // add_dma_entry, dma_debug_device_change, check_sg_segment.
    OverlappingMapping,
    PendingAtUnbind,
    SgSegmentTooLong,
    SgSegmentAcrossBoundary,

    /// <summary>Streaming mappings still live when the run ends (the simulator's own leak check).</summary>
    LeakAtEnd,
}

/// <summary>The one name table of <see cref="FindingKind"/>.</summary>
public static class FindingKinds
{
    private static readonly (string Name, FindingKind Kind)[] _table =
    [
        ("iommu-fault", FindingKind.IommuFault),
        ("firmware-dma-blocked", FindingKind.FirmwareDmaBlocked),
        ("stray-write", FindingKind.StrayWrite),
        ("stray-control-read", FindingKind.StrayControlRead),
        ("stray-data-read", FindingKind.StrayDataRead),
        ("coherent-above-mask", FindingKind.CoherentAboveMask),
        ("out-of-mapping", FindingKind.OutOfMapping),
        ("use-after-unmap", FindingKind.UseAfterUnmap),
        ("data-mismatch", FindingKind.DataMismatch),
        ("map-error", FindingKind.MapError),
        ("oom", FindingKind.Oom),
        ("coherent-alloc-failed", FindingKind.CoherentAllocFailed),
        ("stall", FindingKind.Stall),
        ("unsupported-job", FindingKind.UnsupportedJob),
        ("no-rmrr", FindingKind.NoRmrr),
        ("kernel-panic", FindingKind.KernelPanic),
        ("free-invalid-address", FindingKind.FreeInvalidAddress),
        ("free-not-allocated", FindingKind.FreeNotAllocated),
        ("free-different-size", FindingKind.FreeDifferentSize),
        ("free-wrong-function", FindingKind.FreeWrongFunction),
        ("free-different-cpu-address", FindingKind.FreeDifferentCpuAddress),
        ("free-different-sg-count", FindingKind.FreeDifferentSgCount),
        ("free-different-direction", FindingKind.FreeDifferentDirection),
        ("map-error-not-checked", FindingKind.MapErrorNotChecked),
        ("sync-not-allocated", FindingKind.SyncNotAllocated),
        ("sync-different-direction", FindingKind.SyncDifferentDirection),
        ("sync-read-only-for-cpu", FindingKind.SyncReadOnlyForCpu),
        ("sync-write-only-to-device", FindingKind.SyncWriteOnlyToDevice),
        ("sync-different-sg-count", FindingKind.SyncDifferentSgCount),
        ("overlapping-mapping", FindingKind.OverlappingMapping),
        ("pending-at-unbind", FindingKind.PendingAtUnbind),
        ("sg-segment-too-long", FindingKind.SgSegmentTooLong),
        ("sg-segment-across-boundary", FindingKind.SgSegmentAcrossBoundary),
        ("leak-at-end", FindingKind.LeakAtEnd),
    ];

    // A plain dictionary and an array by value: frozen collections over this enum cost more start-up than they save.
    private static readonly Dictionary<string, FindingKind> _byName = _table.ToDictionary(e => e.Name, e => e.Kind, StringComparer.Ordinal);

    private static readonly string?[] _byKind = ByKind();

    private static string?[] ByKind()
    {
        var names = new string?[_table.Max(e => (int)e.Kind) + 1];
        foreach (var (name, kind) in _table)
        {
            if (names[(int)kind] is not null) throw new InvalidOperationException($"finding kind {kind} has two words");
            names[(int)kind] = name;
        }
        return names;
    }

    /// <summary>Every contract word, in documentation order.</summary>
    public static ImmutableArray<string> Names { get; } = [.. _table.Select(e => e.Name)];

    public static IReadOnlyList<(string Name, FindingKind Kind)> All => _table;

    public static string NameOf(FindingKind kind) =>
        (uint)kind < (uint)_byKind.Length && _byKind[(int)kind] is { } name ? name : throw new KeyNotFoundException($"no word for finding kind {kind}");

    public static bool TryParse(string name, out FindingKind kind) => _byName.TryGetValue(name, out kind);

    /// <summary>True for the message classes of CONFIG_DMA_API_DEBUG.</summary>
    public static bool IsDmaApiDebug(FindingKind kind) => kind is >= FindingKind.FreeInvalidAddress and <= FindingKind.SgSegmentAcrossBoundary;
}
