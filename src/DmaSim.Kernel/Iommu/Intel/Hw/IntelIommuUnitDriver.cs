using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Kernel.Iommu.Intel.Hw;

/// <summary>
/// What the Linux intel-iommu driver writes to one remapping unit: capability decoding, AGAW choice, the
/// root table, translation enable, context entries and cache invalidation. It talks to the hardware only
/// through <see cref="IVtdRegisterAccess"/> (a <see cref="VtdUnit"/>'s MMIO) and the tables it writes
/// into <see cref="PhysicalMemory"/>, like the real driver (STYLE.md: the hardware reads its own tables).
/// Behaviour: Linux 2.6.32 <c>drivers/pci/intel-iommu.c</c> and <c>dmar.c</c> unless an option says otherwise.
/// </summary>
public sealed partial class IntelIommuUnitDriver
{
    /// <summary>IOMMU_WAIT_OP gives up after DMAR_OPERATION_TIMEOUT; in the model every command completes at once.</summary>
    private const int MaxPolls = 1000;

    private readonly IVtdRegisterAccess _unit; // registers only: never the unit's caches or state
    private readonly PhysicalMemory _memory;
    private readonly Func<PhysAddr> _allocZeroedTablePage;
    private readonly Action<PhysAddr> _freeTablePage;
    private readonly IntelIommuDriverOptions _options;
    private readonly int _ivaOffset;
    private readonly int _iotlbOffset;
    private uint _gcmd; // Linux iommu->gcmd: software copy of the persistent command bits (TE, QIE, IRE)
    private PhysAddr _rootTable;

    public IntelIommuUnitDriver(IVtdRegisterAccess unit, PhysicalMemory memory, Func<PhysAddr> allocZeroedTablePage,
        Action<PhysAddr> freeTablePage, IntelIommuDriverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(allocZeroedTablePage);
        ArgumentNullException.ThrowIfNull(freeTablePage);
        _unit = unit;
        _memory = memory;
        _allocZeroedTablePage = allocZeroedTablePage;
        _freeTablePage = freeTablePage;
        _options = options ?? new IntelIommuDriverOptions();
        Cap = Read64(VtdRegister.Cap);
        Ecap = Read64(VtdRegister.Ecap);
        _ivaOffset = VtdUnitConfigSpec.IvaOffset(Ecap);
        _iotlbOffset = VtdUnitConfigSpec.IotlbOffset(Ecap);
        Agaw = CalculateAgaw(_options.DefaultDomainAddressWidth);
        MaxSagaw = CalculateAgaw(64);
        Invalidation = _options.Invalidation ?? (SupportsQueuedInvalidation ? InvalidationMethod.Queued : InvalidationMethod.Register);
        if (Invalidation == InvalidationMethod.Queued && !SupportsQueuedInvalidation)
            throw new InvalidOperationException("queued invalidation requested but ECAP.QI is clear");
    }

    public ulong Cap { get; }
    public ulong Ecap { get; }
    public uint Version => (uint)Read32(VtdRegister.Ver);

    public bool SupportsPassThrough => VtdEcap.Pt.IsSet(Ecap);
    public bool SupportsQueuedInvalidation => VtdEcap.Qi.IsSet(Ecap);
    public bool CachingMode => VtdCap.Cm.IsSet(Cap);
    public bool RequiresWriteBufferFlush => VtdCap.Rwbf.IsSet(Cap);
    public bool ZeroLengthRead => VtdCap.Zlr.IsSet(Cap);
    public bool PageSelectiveInvalidation => VtdCap.Psi.IsSet(Cap);
    public int MaxAddressMaskValue => (int)VtdCap.Mamv.Get(Cap);
    public int Sagaw => (int)VtdCap.Sagaw.Get(Cap);
    /// <summary>CAP.MGAW + 1, in bits (Linux <c>cap_mgaw</c>).</summary>
    public int Mgaw => (int)VtdCap.Mgaw.Get(Cap) + 1;
    public int NumDomains => VtdCap.DomainCount(Cap);
    /// <summary>CAP.SLLPS (bit 0 = 2 MiB, bit 1 = 1 GiB).</summary>
    public int SuperpageSupport => (int)VtdCap.Sllps.Get(Cap);

    /// <summary>Linux <c>iommu->agaw</c>: the largest supported agaw ≤ width_to_agaw(default width); −1 if none.</summary>
    public int Agaw { get; }

    /// <summary>Linux <c>iommu->msagaw</c> (<c>iommu_calculate_max_sagaw</c>): used for pass-through context entries.</summary>
    public int MaxSagaw { get; }

    /// <summary>The invalidation method in use.</summary>
    public InvalidationMethod Invalidation { get; }

    /// <summary>Root table address once <see cref="SetRootTable"/> ran.</summary>
    public PhysAddr RootTable => _rootTable;

    /// <summary>Write-buffer flushes actually issued (only when CAP.RWBF).</summary>
    public long WriteBufferFlushes { get; private set; }

    private ulong Read64(int offset) => _unit.ReadRegister(offset, 8);
    private ulong Read32(int offset) => _unit.ReadRegister(offset, 4);
    private void Write64(int offset, ulong value) => _unit.WriteRegister(offset, value, 8);
    private void Write32(int offset, uint value) => _unit.WriteRegister(offset, value, 4);

    /// <summary>
    /// Linux <c>__iommu_calculate_agaw</c>: from width_to_agaw(maxWidth) downwards, the first agaw whose SAGAW
    /// bit is set. 2.6.32 rounds width_to_agaw down, modern kernels up; for 48, 57 and 64 both give the same start
    /// once reserved SAGAW bits are skipped.
    /// </summary>
    public int CalculateAgaw(int maxWidth)
    {
        var sagaw = Sagaw;
        for (var agaw = VtdWidth.WidthToAgawFloor(maxWidth); agaw >= 0; agaw--)
            if ((sagaw & (1 << agaw)) != 0) return agaw;
        return -1;
    }

    /// <summary>Linux IOMMU_WAIT_OP: poll a register until the condition holds or panic "DMAR hardware is malfunctioning".</summary>
    private ulong WaitFor(int offset, int size, Func<ulong, bool> done)
    {
        for (var i = 0; i < MaxPolls; i++)
        {
            var v = _unit.ReadRegister(offset, size);
            if (done(v)) return v;
        }
        throw new KernelPanicException("DMAR hardware is malfunctioning");
    }

    /// <summary>
    /// Linux <c>iommu_alloc_root_entry</c> + <c>iommu_set_root_entry</c>: allocate a zeroed root table (once),
    /// write RTADDR, issue GCMD = gcmd | SRTP (SRTP is not kept in the software copy) and wait for GSTS.RTPS.
    /// </summary>
    public void SetRootTable()
    {
        if (_rootTable.Value == 0) _rootTable = _allocZeroedTablePage();
        Write64(VtdRegister.RtAddr, _rootTable.Value);
        Write32(VtdRegister.Gcmd, _gcmd | VtdGlobal.Srtp);
        WaitFor(VtdRegister.Gsts, 4, v => (v & VtdGlobal.Srtp) != 0);
    }

    /// <summary>Linux <c>iommu_enable_translation</c>: gcmd |= TE, wait for TES.</summary>
    public void EnableTranslation()
    {
        _gcmd |= VtdGlobal.Te;
        Write32(VtdRegister.Gcmd, _gcmd);
        WaitFor(VtdRegister.Gsts, 4, v => (v & VtdGlobal.Te) != 0);
    }

    /// <summary>Linux <c>iommu_disable_translation</c>: gcmd &amp;= ~TE, wait for TES to clear.</summary>
    public void DisableTranslation()
    {
        _gcmd &= ~VtdGlobal.Te;
        Write32(VtdRegister.Gcmd, _gcmd);
        WaitFor(VtdRegister.Gsts, 4, v => (v & VtdGlobal.Te) == 0);
    }

    /// <summary>
    /// Linux <c>iommu_disable_protect_mem_regions</c> (init_dmars, after translation is enabled): clear PMEN.EPM
    /// and wait for PRS to clear. A no-op on units without PMRs (CAP.PLMR = PHMR = 0, as QEMU).
    /// </summary>
    public void DisableProtectedMemoryRegions()
    {
        var pmen = (uint)Read32(VtdRegister.Pmen) & ~VtdPmen.Epm;
        Write32(VtdRegister.Pmen, pmen);
        WaitFor(VtdRegister.Pmen, 4, v => (v & VtdPmen.Prs) == 0);
    }

    /// <summary>GSTS.TES as the hardware reports it.</summary>
    public bool TranslationEnabled => (Read32(VtdRegister.Gsts) & VtdGlobal.Te) != 0;

    /// <summary>
    /// Linux <c>iommu_flush_write_buffer</c>: only when CAP.RWBF (the rwbf quirk is not modelled); GCMD = gcmd | WBF,
    /// wait for WBFS to clear.
    /// </summary>
    public void FlushWriteBuffer()
    {
        if (!RequiresWriteBufferFlush) return;
        Write32(VtdRegister.Gcmd, _gcmd | VtdGlobal.Wbf);
        WaitFor(VtdRegister.Gsts, 4, v => (v & VtdGlobal.Wbf) == 0);
        WriteBufferFlushes++;
    }

    private PhysAddr RootEntryAddress(byte bus) => _rootTable.Add((ulong)bus * VtdRootEntry.Size);

    private void RequireRootTable()
    {
        if (_rootTable.Value == 0) throw new InvalidOperationException("SetRootTable() must run before context entries are programmed");
    }

    /// <summary>Address of the context entry for a device, or null when its bus has no context table yet.</summary>
    private PhysAddr? ContextEntryAddress(Bdf device, bool allocate)
    {
        RequireRootTable();
        var rootEntry = RootEntryAddress(device.Bus);
        var root = _memory.ReadU64(rootEntry);
        if (!VtdRootEntry.Present.IsSet(root))
        {
            if (!allocate) return null;
            // Linux device_to_context_entry: allocate the bus's context table on first use.
            var table = _allocZeroedTablePage();
            _memory.WriteU64(rootEntry.Add(8), 0);
            _memory.WriteU64(rootEntry, VtdRootEntry.Make(table));
            root = _memory.ReadU64(rootEntry);
        }
        var tableBase = VtdRootEntry.ContextTablePointer.Get(root) << 12;
        return new PhysAddr(tableBase + (ulong)device.DevFn * VtdContextEntry.Size);
    }

    /// <summary>Linux <c>device_context_mapped</c>: is the device's context entry present?</summary>
    public bool ContextPresent(Bdf device)
    {
        var at = ContextEntryAddress(device, allocate: false);
        return at is { } a && VtdContextEntry.Present.IsSet(_memory.ReadU64(a));
    }

    /// <summary>
    /// Linux <c>domain_context_mapping_one</c> (2.6.32): does nothing and returns false if the entry is already
    /// present. Otherwise writes DID, AW, the root pointer (not for pass-through, where AW should be
    /// <see cref="MaxSagaw"/>), TT, fault processing enabled (FPD = 0) and P, then — a not-present → present change —
    /// flushes in caching mode (device context + domain IOTLB) or the write buffer otherwise.
    /// </summary>
    public bool SetContext(Bdf device, ContextTranslationType type, ushort domainId, int agaw, PhysAddr pageTableRoot)
    {
        if (agaw is < 0 or > 4) throw new ArgumentOutOfRangeException(nameof(agaw), agaw, "agaw is 0..4");
        var at = ContextEntryAddress(device, allocate: true)!.Value;
        if (VtdContextEntry.Present.IsSet(_memory.ReadU64(at))) return false;

        var root = type == ContextTranslationType.PassThrough ? default : pageTableRoot;
        // Write the high qword first, then the low one with P: the hardware never sees a half-built present entry.
        _memory.WriteU64(at.Add(8), VtdContextEntry.MakeHigh(domainId, agaw));
        _memory.WriteU64(at, VtdContextEntry.MakeLow(type, root, faultProcessingDisable: false));

        if (CachingMode)
        {
            FlushContextDevice(0, device, 0);
            FlushIotlbDomain(_options.CachingModeFlushesDomainZero ? (ushort)0 : domainId);
        }
        else
        {
            FlushWriteBuffer();
        }
        return true;
    }

    /// <summary>
    /// Linux 2.6.32 <c>iommu_detach_dev</c>: clear the entry (<c>clear_context_table</c>), then a global context
    /// flush and a global IOTLB flush. Returns whether an entry was present.
    /// </summary>
    public bool ClearContext(Bdf device)
    {
        var at = ContextEntryAddress(device, allocate: false);
        if (at is not { } a) return false;
        var wasPresent = VtdContextEntry.Present.IsSet(_memory.ReadU64(a));
        _memory.WriteU64(a, 0);
        _memory.WriteU64(a.Add(8), 0);
        FlushContextGlobal();
        FlushIotlbGlobal();
        return wasPresent;
    }

    /// <summary>Reads back a device's context entry (low, high) from memory, for tests and reports.</summary>
    public (ulong Low, ulong High) ReadContext(Bdf device)
    {
        var at = ContextEntryAddress(device, allocate: false);
        return at is { } a ? (_memory.ReadU64(a), _memory.ReadU64(a.Add(8))) : (0, 0);
    }

    /// <summary>Frees every context table and the root table (the unit must not be translating any more).</summary>
    public void FreeTables()
    {
        if (_rootTable.Value == 0) return;
        for (var bus = 0; bus < 256; bus++)
        {
            var root = _memory.ReadU64(RootEntryAddress((byte)bus));
            if (VtdRootEntry.Present.IsSet(root)) _freeTablePage(new PhysAddr(VtdRootEntry.ContextTablePointer.Get(root) << 12));
        }
        _freeTablePage(_rootTable);
        _rootTable = default;
    }
}
