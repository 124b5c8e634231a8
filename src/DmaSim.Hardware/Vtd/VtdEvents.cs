using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>A DMA the unit blocked. <see cref="Recorded"/> says whether a fault record was written.</summary>
public sealed record VtdFaultEvent(ulong UnitBase, ushort SourceId, ulong Address, bool IsWrite, VtdFaultReason Reason, FaultRecordOutcome Recording) : SimEvent
{
    public bool Recorded => Recording == FaultRecordOutcome.Recorded;
}

/// <summary>Which interrupt the unit sent.</summary>
public enum VtdInterruptKind : byte
{
    /// <summary>Fault event (FEADDR/FEDATA).</summary>
    Fault,
    /// <summary>Invalidation-wait completion (IEADDR/IEDATA).</summary>
    InvalidationComplete,
}

/// <summary>An MSI write the unit issued (address/data as programmed in the event registers).</summary>
public sealed record VtdInterruptEvent(ulong UnitBase, VtdInterruptKind Kind, ulong Address, uint Data) : SimEvent;

/// <summary>Which cache an invalidation addressed.</summary>
public enum VtdCacheKind : byte
{
    ContextCache,
    Iotlb,
}

/// <summary>
/// An invalidation the unit performed (register-based or queued). <see cref="Performed"/> is the
/// granularity reported back (CAIG/IAIG), <see cref="VtdInvalidationGranularity.None"/> when refused.
/// </summary>
public sealed record VtdInvalidationEvent(
    ulong UnitBase, VtdCacheKind Cache, bool Queued, VtdInvalidationGranularity Requested,
    VtdInvalidationGranularity Performed, ushort DomainId, ushort SourceId, ulong Address, int AddressMask) : SimEvent;

/// <summary>Something software did that the hardware refused or flagged (QEMU's error_report_once cases).</summary>
public sealed record VtdProgrammingErrorEvent(ulong UnitBase, string Message) : SimEvent;

/// <summary>A change in GSTS caused by a GCMD write (translation enabled, root table latched, ...).</summary>
public sealed record VtdStatusEvent(ulong UnitBase, uint OldStatus, uint NewStatus, ulong RootTable) : SimEvent;
