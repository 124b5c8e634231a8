using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// One Intel VT-d DMA-remapping unit in legacy mode: the MMIO register file, root/context/second-level
/// tables read from simulated memory on every walk, a context cache and an IOTLB that software must
/// invalidate, register-based and queued invalidation, and fault recording. Behaviour follows QEMU's
/// <c>hw/i386/intel_iommu.c</c> as summarised in vtd-hardware.md; each rule cites its function.
/// Scalable mode, interrupt remapping (beyond its status bits) and device-TLBs are not modelled.
/// </summary>
public sealed partial class VtdUnit : IVtdRegisterAccess
{
    private static readonly int _vtdInvalidationEventId = EventStream.TypeIdOf<VtdInvalidationEvent>();
    private readonly PhysicalMemory _memory;
    private readonly TableWalkReader _tables; // the second-level walk's reads (same bytes, one load per level)
    private readonly EventStream? _events;
    private readonly VtdRegisterFile _regs;
    private readonly VtdIotlb _iotlb = new();
    private readonly VtdContextCache _contextCache = new();
    private readonly FaultRecorder _faults;
    private readonly ulong _cap;
    private readonly ulong _ecap;
    private readonly int _ivaOffset;
    private readonly int _iotlbOffset;
    private readonly int _frcdBase;
    private readonly ulong _hawMask;
    private readonly int _mgaw;
    // The highest address a 64-bit table read may start at (memory limit − 7), read on every level of a walk.
    private readonly ulong _readLimit;
    // VtdSlPte.ReservedMask for this unit's host address width, computed once instead of on every level of
    // every walk (issue 13): entry 2 × level + PS (levels 1..5). PS selects the large-page rule only at levels
    // 2 and 3; elsewhere both entries hold the small rule (bit 7 is reserved at 4 and 5, ignored at 1).
    private readonly ulong[] _reserved = new ulong[12];
    // The next table's address in a non-leaf entry: bits 12 up to the host address width.
    private readonly ulong _tableMask;

    // Latched state (QEMU IntelIOMMUState: root, dmar_enabled, qi_enabled, iq, iq_size, iq_head, iq_tail).
    private ulong _rootTable;
    private bool _translationEnabled;
    private bool _qiEnabled;
    private ulong _iqBase;
    private int _iqSize;
    private int _iqHead;
    private int _iqTail;
    private int _lastDescriptorType;

    public VtdUnit(PhysicalMemory memory, VtdUnitConfig config, EventStream? events = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(config);
        _memory = memory;
        _tables = new TableWalkReader(memory);
        _events = events;
        Config = config;
        _cap = config.BuildCap();
        _ecap = config.BuildEcap();
        _ivaOffset = VtdUnitConfigSpec.IvaOffset(_ecap);
        _iotlbOffset = VtdUnitConfigSpec.IotlbOffset(_ecap);
        _frcdBase = VtdUnitConfigSpec.FrcdOffset(_cap, 0);
        _hawMask = VtdWidth.HawMask(config.HostAddressWidth);
        _mgaw = config.MaxGuestAddressWidth;
        _readLimit = memory.Limit - 7;
        _tableMask = _hawMask & ~0xFFFUL;
        for (var level = 1; level <= 5; level++)
        {
            _reserved[2 * level] = VtdSlPte.ReservedMask(level, false, config.HostAddressWidth);
            _reserved[2 * level + 1] = VtdSlPte.ReservedMask(level, level is 2 or 3, config.HostAddressWidth);
        }
        // DMAR_REG_SIZE = FRCD offset + 16 × records (vtd-hardware.md §1.1).
        // Real units may place the IOTLB registers above the fault records (ECAP.IRO > CAP.FRO).
        _regs = new VtdRegisterFile(Math.Max(_frcdBase + VtdRegister.FrcdSize * config.FaultRecordingRegisters, _iotlbOffset + 8));
        _faults = new FaultRecorder(_regs, _frcdBase, config.FaultRecordingRegisters, SendInterrupt);
        Reset();
    }

    public VtdUnitConfig Config { get; }

    /// <summary>MMIO window size in bytes (0x230 for QEMU's single fault record).</summary>
    public int RegisterWindowSize => _regs.Size;

    public FaultRecorder Faults => _faults;

    /// <summary>Root-table address latched by the last SRTP (for reports; software reads RTADDR).</summary>
    public ulong LatchedRootTable => _rootTable;

    /// <summary>Whether GSTS.QIES is set.</summary>
    public bool QueuedInvalidationEnabled => _qiEnabled;

    /// <summary>Whether GSTS.TES is set.</summary>
    public bool TranslationEnabled => _translationEnabled;

    // Counters for tests and benchmarks.
    public long IotlbHits { get; private set; }
    public long IotlbMisses { get; private set; }
    public long ContextCacheHits { get; private set; }
    public long ContextCacheMisses { get; private set; }
    public long PageWalks { get; private set; }
    public int IotlbEntries => _iotlb.Count;
    public long InterruptsSent { get; private set; }
    public long WriteBufferFlushes { get; private set; }

    /// <summary>
    /// Power-on/system reset: every register back to its QEMU reset value (<c>vtd_init</c>) and all caches
    /// and latched state cleared (<c>vtd_reset</c>).
    /// </summary>
    public void Reset()
    {
        _regs.Clear();
        _rootTable = 0;
        _translationEnabled = false;
        _qiEnabled = false;
        _iqBase = 0;
        _iqSize = 0;
        _iqHead = 0;
        _iqTail = 0;
        _lastDescriptorType = 0;
        _faults.Reset();
        ResetCaches();

        // Reset values and masks: vtd-hardware.md §1.1 table (QEMU vtd_init).
        _regs.DefineLong(VtdRegister.Ver, Config.Version, 0, 0);
        _regs.DefineQuad(VtdRegister.Cap, _cap, 0, 0);
        _regs.DefineQuad(VtdRegister.Ecap, _ecap, 0, 0);
        _regs.DefineLong(VtdRegister.Gcmd, 0, VtdGlobal.WritableMask, 0);
        _regs.DefineLongWriteOnly(VtdRegister.Gcmd, VtdGlobal.WritableMask);
        _regs.DefineLong(VtdRegister.Gsts, 0, 0, 0);
        _regs.DefineQuad(VtdRegister.RtAddr, 0, VtdRtAddr.WritableMask, 0);
        _regs.DefineQuad(VtdRegister.Ccmd, 0, VtdCcmd.WritableMask, 0);
        _regs.DefineQuadWriteOnly(VtdRegister.Ccmd, VtdCcmd.WriteOnlyMask);
        _regs.DefineLong(VtdRegister.Fsts, 0, 0, VtdFsts.W1cMask);
        _regs.DefineLong(VtdRegister.Fectl, VtdEventControl.Im, VtdEventControl.Im, 0);
        _regs.DefineLong(VtdRegister.FeData, 0, 0x0000_FFFF, 0);
        _regs.DefineLong(VtdRegister.FeAddr, 0, 0xFFFF_FFFC, 0);
        _regs.DefineLong(VtdRegister.FeUAddr, 0, 0, 0); // RO 0 without EIM (QEMU comment)
        _regs.DefineLong(VtdRegister.Pmen, 0, 0, 0);
        _regs.DefineQuad(VtdRegister.Iqh, 0, 0, 0);
        _regs.DefineQuad(VtdRegister.Iqt, 0, VtdIqPointer.Mask, 0);
        _regs.DefineQuad(VtdRegister.Iqa, 0, VtdIqa.WritableMask, 0);
        _regs.DefineLong(VtdRegister.Ics, 0, 0, VtdIcs.Iwc);
        _regs.DefineLong(VtdRegister.Iectl, VtdEventControl.Im, VtdEventControl.Im, 0);
        _regs.DefineLong(VtdRegister.IeData, 0, 0xFFFF_FFFF, 0);
        _regs.DefineLong(VtdRegister.IeAddr, 0, 0xFFFF_FFFC, 0);
        _regs.DefineLong(VtdRegister.IeUAddr, 0, 0, 0);
        _regs.DefineQuad(VtdRegister.Irta, 0, 0xFFFF_FFFF_FFFF_F80F, 0);
        _regs.DefineQuad(_ivaOffset, 0, VtdIva.WritableMask, 0);
        _regs.DefineQuadWriteOnly(_ivaOffset, VtdIva.WritableMask);
        _regs.DefineQuad(_iotlbOffset, 0, VtdIotlbReg.WritableMask, 0);
        for (var i = 0; i < Config.FaultRecordingRegisters; i++)
        {
            var off = _frcdBase + VtdRegister.FrcdSize * i;
            _regs.DefineQuad(off, 0, 0, 0);
            _regs.DefineQuad(off + 8, 0, 0, VtdFrcd.F.Mask);
        }
    }

    /// <summary>Copy of the raw register bytes (the qtest compares them across a reset).</summary>
    public byte[] SnapshotRegisters() => _regs.Snapshot();

    private static void CheckAccess(int offset, int size)
    {
        if (size != 4 && size != 8) throw new ArgumentOutOfRangeException(nameof(size), size, "VT-d registers accept only 4- and 8-byte accesses");
        if (offset < 0 || (offset & 3) != 0) throw new ArgumentOutOfRangeException(nameof(offset), offset, "register offsets are dword-aligned");
    }

    /// <summary>
    /// MMIO read. Past the window: all ones (QEMU <c>vtd_mem_read</c>). RTADDR reads the raw stored value;
    /// IQA reads the base latched at QIE-enable plus the QS/DW bits as written.
    /// </summary>
    public ulong ReadRegister(int offset, int size)
    {
        CheckAccess(offset, size);
        if (offset + size > _regs.Size) return size == 8 ? ulong.MaxValue : uint.MaxValue;
        if (offset == VtdRegister.Iqa && size == 8)
            return _iqBase | (_regs.GetQuadRaw(VtdRegister.Iqa) & (VtdIqa.Qs.Mask | VtdIqa.Dw.Mask));
        if (offset == VtdRegister.Iqa && size == 4)
            return (uint)(_iqBase | (_regs.GetQuadRaw(VtdRegister.Iqa) & (VtdIqa.Qs.Mask | VtdIqa.Dw.Mask)));
        if (offset == VtdRegister.Iqa + 4 && size == 4) return (uint)(_iqBase >> 32);
        if (offset == VtdRegister.RtAddr) return size == 8 ? _regs.GetQuadRaw(offset) : _regs.GetLongRaw(offset);
        return _regs.Read(offset, size);
    }

    /// <summary>
    /// MMIO write with the register masks applied, then the side effect of the register written
    /// (QEMU <c>vtd_mem_write</c>). Writes past the window are dropped.
    /// </summary>
    public void WriteRegister(int offset, ulong value, int size)
    {
        CheckAccess(offset, size);
        if (offset + size > _regs.Size) return;
        _regs.Write(offset, value, size);
        var end = offset + size;
        bool Covers(int byteOffset) => byteOffset >= offset && byteOffset < end;

        if (Covers(VtdRegister.Gcmd)) HandleGcmdWrite();
        if (Covers(VtdRegister.Ccmd + 7) && VtdCcmd.Icc.IsSet(_regs.GetQuadRaw(VtdRegister.Ccmd))) HandleCcmdWrite();
        if (Covers(VtdRegister.Fsts)) _faults.OnFstsWritten();
        if (Covers(VtdRegister.Fectl)) _faults.OnFectlWritten();
        if (Covers(_iotlbOffset + 7) && VtdIotlbReg.Ivt.IsSet(_regs.GetQuadRaw(_iotlbOffset))) HandleIotlbRegisterWrite();
        if (Covers(VtdRegister.Iqt)) HandleIqtWrite();
        if (Covers(VtdRegister.Ics)) HandleIcsWrite();
        if (Covers(VtdRegister.Iectl)) HandleIectlWrite();
        if (offset + size > _frcdBase)
        {
            for (var i = 0; i < Config.FaultRecordingRegisters; i++)
                if (Covers(_frcdBase + VtdRegister.FrcdSize * i + 15)) { _faults.OnRecordWritten(); break; }
        }
    }

    /// <summary>
    /// GCMD side effects (QEMU <c>vtd_handle_gcmd_write</c>): TE and QIE and IRE act on change; SRTP and
    /// SIRTP act on every write with the bit set; WBF completes at once (WBFS never observed set).
    /// </summary>
    private void HandleGcmdWrite()
    {
        var status = _regs.GetLongRaw(VtdRegister.Gsts);
        var command = _regs.GetLongRaw(VtdRegister.Gcmd);
        var changed = status ^ command;
        var before = status;

        // QEMU "dma-translation=off" reports SAGAW 0 and ignores TE.
        if ((changed & VtdGlobal.Te) != 0 && Config.Sagaw != 0) SetTranslation((command & VtdGlobal.Te) != 0);
        if ((command & VtdGlobal.Srtp) != 0) SetRootTablePointer();
        if ((changed & VtdGlobal.Qie) != 0) SetQueuedInvalidation((command & VtdGlobal.Qie) != 0);
        if ((command & VtdGlobal.Wbf) != 0) WriteBufferFlushes++; // Linux iommu_flush_write_buffer polls WBFS clear
        if (Config.InterruptRemapping)
        {
            // Interrupt remapping is not modelled beyond latching its status (vtd_handle_gcmd_sirtp/ire).
            if ((command & VtdGlobal.Sirtp) != 0) _regs.SetClearLong(VtdRegister.Gsts, 0, VtdGlobal.Sirtp);
            if ((changed & VtdGlobal.Ire) != 0)
                _regs.SetClearLong(VtdRegister.Gsts, VtdGlobal.Ire, command & VtdGlobal.Ire);
        }

        var after = _regs.GetLongRaw(VtdRegister.Gsts);
        if (after != before || (command & VtdGlobal.Srtp) != 0) _events?.Emit(new VtdStatusEvent(Config.RegisterBase, before, after, _rootTable));
    }

    /// <summary>QEMU <c>vtd_handle_gcmd_te</c>: TES follows; disabling resets the fault index; caches flushed.</summary>
    private void SetTranslation(bool enable)
    {
        _translationEnabled = enable;
        if (!enable) _faults.ResetNextIndex();
        _regs.SetClearLong(VtdRegister.Gsts, VtdGlobal.Te, enable ? VtdGlobal.Te : 0);
        ResetCaches();
    }

    /// <summary>QEMU <c>vtd_handle_gcmd_srtp</c>/<c>vtd_root_table_setup</c>: latch RTADDR &amp; HAW mask, set RTPS (sticky), flush.</summary>
    private void SetRootTablePointer()
    {
        var rtaddr = _regs.GetQuadRaw(VtdRegister.RtAddr);
        if (VtdRtAddr.Smt.IsSet(rtaddr))
            Error("RTADDR.SMT set but scalable mode is not modelled; the table is walked as a legacy root table");
        _rootTable = rtaddr & _hawMask & ~0xFFFUL;
        _regs.SetClearLong(VtdRegister.Gsts, 0, VtdGlobal.Srtp);
        ResetCaches();
    }

    /// <summary>QEMU <c>vtd_handle_gcmd_qie</c>, including the Windows quirk (IQT ≠ 0 at enable) and the disable check.</summary>
    private void SetQueuedInvalidation(bool enable)
    {
        if (enable)
        {
            var iqa = _regs.GetQuadRaw(VtdRegister.Iqa);
            _iqBase = iqa & _hawMask & ~0xFFFUL;
            // 2^(QS+8) 128-bit descriptors; DW (256-bit) needs ECAP.SMTS, which this model never reports.
            _iqSize = 1 << ((int)VtdIqa.Qs.Get(iqa) + 8);
            _qiEnabled = true;
            _regs.SetClearLong(VtdRegister.Gsts, 0, VtdGlobal.Qie);
            if (_iqTail != 0 && (_regs.GetLongRaw(VtdRegister.Fsts) & VtdFsts.Iqe) == 0) FetchDescriptors();
        }
        else if (_qiEnabled && _iqTail == _iqHead && _lastDescriptorType == (int)VtdInvDescriptorType.Wait)
        {
            _regs.SetQuadRaw(VtdRegister.Iqh, 0);
            _iqHead = 0;
            _qiEnabled = false;
            _regs.SetClearLong(VtdRegister.Gsts, VtdGlobal.Qie, 0);
        }
        else
        {
            Error("QIE disable refused: queue not drained or last descriptor was not a wait descriptor");
        }
    }

    /// <summary>
    /// The machine's run is over: the IOTLB's table goes to this thread's pool for the next unit (the unit may
    /// still translate; it starts from an empty IOTLB).
    /// </summary>
    public void ReleaseHostMemory()
    {
        _iotlb.ReleaseTable();
        _tables.Forget();
    }

    /// <summary>QEMU <c>vtd_reset_caches</c>: drop the IOTLB and bump the context-cache generation.</summary>
    private void ResetCaches()
    {
        _iotlb.Clear();
        _contextCache.InvalidateAll();
    }

    private void SendInterrupt(VtdInterruptKind kind)
    {
        InterruptsSent++;
        if (_events is null) return;
        var (addrReg, dataReg) = kind == VtdInterruptKind.Fault
            ? (VtdRegister.FeAddr, VtdRegister.FeData)
            : (VtdRegister.IeAddr, VtdRegister.IeData);
        _events.Emit(new VtdInterruptEvent(Config.RegisterBase, kind, _regs.GetLongRaw(addrReg), _regs.GetLongRaw(dataReg)));
    }

    private void Error(string message)
    {
        ProgrammingErrors++;
        _events?.Emit(new VtdProgrammingErrorEvent(Config.RegisterBase, message));
    }

    /// <summary>Requests the hardware refused or flagged (see <see cref="VtdProgrammingErrorEvent"/>).</summary>
    public long ProgrammingErrors { get; private set; }
}
