using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>What happened to a detected fault when the recorder saw it.</summary>
public enum FaultRecordOutcome : byte
{
    /// <summary>A fault record was written.</summary>
    Recorded,
    /// <summary>FPD = 1 in the context entry and the reason is qualified: not reported (§4.2).</summary>
    SuppressedByFpd,
    /// <summary>FSTS.PFO was already set: dropped.</summary>
    DroppedOverflowPending,
    /// <summary>A valid record from the same requester exists: compressed away.</summary>
    Compressed,
    /// <summary>The next record slot was still valid: PFO set, fault dropped.</summary>
    Overflow,
}

/// <summary>
/// Fault recording, separate from detection (the walk returns a reason; this class fills the
/// fault-recording registers). Behaviour follows QEMU <c>vtd_report_frcd_fault</c>,
/// <c>vtd_try_collapse_fault</c>, <c>vtd_generate_fault_event</c> and the FSTS/FECTL/FRCD write
/// handlers (vtd-hardware.md §4.3).
/// </summary>
public sealed class FaultRecorder
{
    private readonly VtdRegisterFile _regs;
    private readonly int _frcdBase;
    private readonly int _count;
    private readonly Action<VtdInterruptKind> _sendInterrupt;
    private int _next;

    internal FaultRecorder(VtdRegisterFile regs, int frcdBase, int count, Action<VtdInterruptKind> sendInterrupt)
    {
        _regs = regs;
        _frcdBase = frcdBase;
        _count = count;
        _sendInterrupt = sendInterrupt;
    }

    /// <summary>Index of the record the next fault goes to (QEMU <c>next_frcd_reg</c>).</summary>
    public int NextRecordIndex => _next;

    /// <summary>Number of fault-recording registers.</summary>
    public int RecordCount => _count;

    /// <summary>Faults written into a record since reset.</summary>
    public long RecordedFaults { get; private set; }

    /// <summary>Faults not recorded because of PFO, compression or overflow.</summary>
    public long DroppedFaults { get; private set; }

    private int HighOffset(int index) => _frcdBase + VtdRegister.FrcdSize * index + 8;

    private bool IsValid(int index) => (_regs.GetQuadRaw(HighOffset(index)) & VtdFrcd.F.Mask) != 0;

    /// <summary>Records one fault (no FPD handling here: the caller decides whether it is reported).</summary>
    public FaultRecordOutcome Record(ushort sourceId, ulong address, VtdFaultReason reason, bool isWrite)
    {
        var fsts = _regs.GetLongRaw(VtdRegister.Fsts);
        if ((fsts & VtdFsts.Pfo) != 0)
        {
            DroppedFaults++;
            return FaultRecordOutcome.DroppedOverflowPending;
        }

        // Same-requester compression: any valid record with this SID swallows the new fault.
        for (var i = 0; i < _count; i++)
        {
            var hi = _regs.GetQuadRaw(HighOffset(i));
            if ((hi & VtdFrcd.F.Mask) != 0 && VtdFrcd.Sid.Get(hi) == sourceId)
            {
                DroppedFaults++;
                return FaultRecordOutcome.Compressed;
            }
        }

        if (IsValid(_next))
        {
            // QEMU sets PFO here without raising a fault event.
            _regs.SetClearLong(VtdRegister.Fsts, 0, VtdFsts.Pfo);
            DroppedFaults++;
            return FaultRecordOutcome.Overflow;
        }

        var lo = address & VtdFrcd.FaultInfo.Mask;
        ulong high = VtdFrcd.Sid.Set(0, sourceId);
        high = VtdFrcd.Fr.Set(high, (ulong)reason);
        if (!isWrite) high |= VtdFrcd.T.Mask; // T = 1 means a read request (QEMU sets it when !is_write).
        var recordOffset = _frcdBase + VtdRegister.FrcdSize * _next;
        _regs.SetQuadRaw(recordOffset, lo);
        _regs.SetQuadRaw(recordOffset + 8, high);
        RecordedFaults++;

        if ((fsts & VtdFsts.Ppf) != 0)
        {
            // Pending faults already: mark valid, advance, no new event.
            SetValid(_next);
            Advance();
            return FaultRecordOutcome.Recorded;
        }

        _regs.SetClearLong(VtdRegister.Fsts, (uint)VtdFsts.Fri.Mask, (uint)VtdFsts.Fri.Set(0, (ulong)_next));
        SetValid(_next);
        Advance();
        GenerateFaultEvent(fsts);
        return FaultRecordOutcome.Recorded;
    }

    private void Advance() => _next = (_next + 1) % _count;

    private void SetValid(int index)
    {
        _regs.SetClearQuad(HighOffset(index), 0, VtdFrcd.F.Mask);
        UpdatePpf();
    }

    /// <summary>PPF = "some record has F set" (QEMU <c>vtd_update_fsts_ppf</c>).</summary>
    internal void UpdatePpf()
    {
        var any = false;
        for (var i = 0; i < _count && !any; i++) any = IsValid(i);
        _regs.SetClearLong(VtdRegister.Fsts, VtdFsts.Ppf, any ? VtdFsts.Ppf : 0);
    }

    /// <summary>
    /// QEMU <c>vtd_generate_fault_event</c>: suppressed if the pre-update FSTS had PPF, PFO or IQE; else
    /// IP is set and, if IM = 0, the MSI goes out and IP clears.
    /// </summary>
    internal void GenerateFaultEvent(uint fstsBefore)
    {
        if ((fstsBefore & (VtdFsts.Ppf | VtdFsts.Pfo | VtdFsts.Iqe)) != 0) return;
        var fectl = _regs.SetClearLong(VtdRegister.Fectl, 0, VtdEventControl.Ip);
        if ((fectl & VtdEventControl.Im) != 0) return;
        _sendInterrupt(VtdInterruptKind.Fault);
        _regs.SetClearLong(VtdRegister.Fectl, VtdEventControl.Ip, 0);
    }

    /// <summary>Invalidation-queue error: set FSTS.IQE and raise a fault event (QEMU <c>vtd_handle_inv_queue_error</c>).</summary>
    internal void RaiseQueueError()
    {
        var before = _regs.GetLongRaw(VtdRegister.Fsts);
        _regs.SetClearLong(VtdRegister.Fsts, 0, VtdFsts.Iqe);
        GenerateFaultEvent(before);
    }

    /// <summary>After software wrote FSTS: IP clears once no PFO/PPF/IQE remains (QEMU <c>vtd_handle_fsts_write</c>).</summary>
    internal void OnFstsWritten()
    {
        var fsts = _regs.GetLongRaw(VtdRegister.Fsts);
        if ((fsts & (VtdFsts.Pfo | VtdFsts.Ppf | VtdFsts.Iqe)) == 0)
            _regs.SetClearLong(VtdRegister.Fectl, VtdEventControl.Ip, 0);
    }

    /// <summary>After software wrote FECTL: a pending event is delivered once unmasked (QEMU <c>vtd_handle_fectl_write</c>).</summary>
    internal void OnFectlWritten()
    {
        var fectl = _regs.GetLongRaw(VtdRegister.Fectl);
        if ((fectl & VtdEventControl.Ip) != 0 && (fectl & VtdEventControl.Im) == 0)
        {
            _sendInterrupt(VtdInterruptKind.Fault);
            _regs.SetClearLong(VtdRegister.Fectl, VtdEventControl.Ip, 0);
        }
    }

    /// <summary>After software cleared F in a record: recompute PPF (QEMU <c>vtd_handle_frcd_write</c>).</summary>
    internal void OnRecordWritten() => UpdatePpf();

    /// <summary>Disabling translation resets the next index (QEMU <c>vtd_handle_gcmd_te</c>).</summary>
    internal void ResetNextIndex() => _next = 0;

    internal void Reset()
    {
        _next = 0;
        RecordedFaults = 0;
        DroppedFaults = 0;
    }
}
