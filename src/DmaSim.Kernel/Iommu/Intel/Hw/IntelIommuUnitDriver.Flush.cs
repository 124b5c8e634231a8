using System.Numerics;
using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Kernel.Iommu.Intel.Hw;

/// <summary>Context-cache and IOTLB invalidation, by register or by queued invalidation.</summary>
public sealed partial class IntelIommuUnitDriver
{
    /// <summary>QI_LENGTH: 256 descriptors of 16 bytes, one 4 KiB page, IQA.QS = 0 (Linux 2.6.32 <c>dmar_enable_qi</c>).</summary>
    private const int QiLength = 256;
    /// <summary>Linux <c>enum { QI_FREE, QI_IN_USE, QI_DONE }</c> values of desc_status.</summary>
    private const uint QiInUse = 1, QiDone = 2;

    private PhysAddr _queue;
    private PhysAddr _queueStatus;
    private int _freeHead;
    private bool _qiEnabled;

    /// <summary>Invalidations issued, by cache and granularity (for tests and reports).</summary>
    public long ContextFlushes { get; private set; }
    public long IotlbGlobalFlushes { get; private set; }
    public long IotlbDomainFlushes { get; private set; }
    public long IotlbPageFlushes { get; private set; }

    /// <summary>Whether the invalidation queue is in use (after <see cref="EnableQueuedInvalidation"/>).</summary>
    public bool QueuedInvalidationEnabled => _qiEnabled;

    /// <summary>
    /// Linux <c>dmar_enable_qi</c> → <c>__dmar_enable_qi</c>: allocate the queue page (and a page for the
    /// status words), IQT := 0, IQA := base (QS = 0), gcmd |= QIE, wait for QIES. Does nothing (returns false)
    /// when the driver uses register-based invalidation.
    /// </summary>
    public bool EnableQueuedInvalidation()
    {
        if (Invalidation != InvalidationMethod.Queued) return false;
        if (_qiEnabled) return true;
        if (_queue.Value == 0)
        {
            _queue = _allocZeroedTablePage();
            _queueStatus = _allocZeroedTablePage();
        }
        _freeHead = 0;
        Write64(VtdRegister.Iqt, 0);
        Write64(VtdRegister.Iqa, _queue.Value);
        _gcmd |= VtdGlobal.Qie;
        Write32(VtdRegister.Gcmd, _gcmd);
        WaitFor(VtdRegister.Gsts, 4, v => (v & VtdGlobal.Qie) != 0);
        _qiEnabled = true;
        return true;
    }

    private bool UseQueue
    {
        get
        {
            if (Invalidation == InvalidationMethod.Register) return false;
            if (!_qiEnabled) throw new InvalidOperationException("queued invalidation selected but EnableQueuedInvalidation() has not run");
            return true;
        }
    }

    /// <summary>Global context-cache invalidation (DMA_CCMD_GLOBAL_INVL).</summary>
    public void FlushContextGlobal() => FlushContext(VtdInvalidationGranularity.Global, 0, 0, 0);

    /// <summary>Domain-selective context-cache invalidation (DMA_CCMD_DOMAIN_INVL).</summary>
    public void FlushContextDomain(ushort domainId) => FlushContext(VtdInvalidationGranularity.Domain, domainId, 0, 0);

    /// <summary>Device-selective context-cache invalidation (DMA_CCMD_DEVICE_INVL) with a function mask (0 = DMA_CCMD_MASK_NOBIT).</summary>
    public void FlushContextDevice(ushort domainId, Bdf device, int functionMask) =>
        FlushContext(VtdInvalidationGranularity.DeviceOrPage, domainId, device.RequesterId, functionMask);

    /// <summary>
    /// Register path: Linux <c>__iommu_flush_context</c> writes CCMD with ICC and polls until ICC clears.
    /// Queue path: <c>qi_flush_context</c>.
    /// </summary>
    private void FlushContext(VtdInvalidationGranularity g, ushort domainId, ushort sourceId, int functionMask)
    {
        ContextFlushes++;
        if (UseQueue)
        {
            SubmitSync(VtdInvDescriptor.ContextCacheLow(g, domainId, sourceId, functionMask), 0);
            return;
        }
        ulong val = VtdCcmd.Cirg.Set(0, (ulong)g);
        if (g != VtdInvalidationGranularity.Global) val = VtdCcmd.Did.Set(val, domainId);
        if (g == VtdInvalidationGranularity.DeviceOrPage)
        {
            val = VtdCcmd.Sid.Set(val, sourceId);
            val = VtdCcmd.Fm.Set(val, (ulong)functionMask);
        }
        val |= VtdCcmd.Icc.Mask;
        Write64(VtdRegister.Ccmd, val);
        WaitFor(VtdRegister.Ccmd, 8, v => !VtdCcmd.Icc.IsSet(v));
    }

    /// <summary>
    /// What the DMA-mapping path does after making PTEs present: caching mode → page-selective flush (with
    /// domain id 0 in 2.6.32 <c>__intel_map_single</c>/<c>intel_map_sg</c>, "domain ID 0 is reserved for non-present
    /// to present mapping flush"; the domain's own id in modern <c>intel_iommu_iotlb_sync_map</c>), otherwise only
    /// the write-buffer flush (which does nothing without CAP.RWBF).
    /// </summary>
    public void FlushAfterMap(ushort domainId, ulong iovaPfn, ulong pages)
    {
        if (CachingMode) FlushIotlbPages(_options.CachingModeFlushesDomainZero ? (ushort)0 : domainId, iovaPfn, pages);
        else FlushWriteBuffer();
    }

    /// <summary>Global IOTLB invalidation (DMA_TLB_GLOBAL_FLUSH).</summary>
    public void FlushIotlbGlobal()
    {
        IotlbGlobalFlushes++;
        FlushIotlb(VtdInvalidationGranularity.Global, 0, 0, 0);
    }

    /// <summary>Domain-selective IOTLB invalidation (DMA_TLB_DSI_FLUSH).</summary>
    public void FlushIotlbDomain(ushort domainId)
    {
        IotlbDomainFlushes++;
        FlushIotlb(VtdInvalidationGranularity.Domain, domainId, 0, 0);
    }

    /// <summary>
    /// Linux <c>iommu_flush_iotlb_psi</c>: mask = ilog2(roundup_pow_of_two(pages)); domain-selective instead when
    /// the unit lacks PSI or mask &gt; CAP.MAMV. With <see cref="IntelIommuDriverOptions.AlignPageSelectiveRange"/>
    /// the address and mask are widened as modern <c>calculate_psi_aligned_address</c> does.
    /// Returns the granularity used.
    /// </summary>
    public VtdInvalidationGranularity FlushIotlbPages(ushort domainId, ulong iovaPfn, ulong pages)
    {
        ArgumentOutOfRangeException.ThrowIfZero(pages);
        var mask = BitOperations.Log2(BitOperations.RoundUpToPowerOf2(pages));
        var pfn = iovaPfn;
        if (_options.AlignPageSelectiveRange)
        {
            var bitmask = (1UL << mask) - 1;
            if ((pfn & bitmask) != 0)
            {
                var endPfn = pfn + pages - 1;
                var shared = ~(pfn ^ endPfn) & ~bitmask;
                mask = shared != 0 ? BitOperations.TrailingZeroCount(shared) : 52;
            }
            pfn = mask >= 52 ? 0 : pfn & ~((1UL << mask) - 1);
        }
        return FlushIotlbPsi(domainId, pfn << 12, mask);
    }

    /// <summary>
    /// Page-selective IOTLB invalidation of 2^<paramref name="addressMask"/> pages at <paramref name="address"/>,
    /// or domain-selective when the unit lacks PSI or the mask exceeds CAP.MAMV (<c>iommu_flush_iotlb_psi</c>).
    /// </summary>
    public VtdInvalidationGranularity FlushIotlbPsi(ushort domainId, ulong address, int addressMask)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(addressMask);
        if (!PageSelectiveInvalidation || addressMask > MaxAddressMaskValue)
        {
            FlushIotlbDomain(domainId);
            return VtdInvalidationGranularity.Domain;
        }
        IotlbPageFlushes++;
        FlushIotlb(VtdInvalidationGranularity.DeviceOrPage, domainId, address & ~0xFFFUL, addressMask);
        return VtdInvalidationGranularity.DeviceOrPage;
    }

    /// <summary>
    /// Register path: Linux <c>__iommu_flush_iotlb</c> (IVA first for PSI, then the IOTLB register with IVT and the
    /// drain hints the unit supports; poll until IVT clears; IAIG = 0 means "IOMMU: flush IOTLB failed").
    /// Queue path: <c>qi_flush_iotlb</c>.
    /// </summary>
    private void FlushIotlb(VtdInvalidationGranularity g, ushort domainId, ulong address, int mask)
    {
        var drainReads = VtdCap.Drd.IsSet(Cap);
        var drainWrites = VtdCap.Dwd.IsSet(Cap);
        if (UseQueue)
        {
            SubmitSync(VtdInvDescriptor.IotlbLow(g, domainId, drainReads, drainWrites),
                g == VtdInvalidationGranularity.DeviceOrPage ? VtdInvDescriptor.IotlbHigh(address, mask) : 0);
            return;
        }
        ulong val = VtdIotlbReg.Iirg.Set(0, (ulong)g) | VtdIotlbReg.Ivt.Mask;
        if (g != VtdInvalidationGranularity.Global) val = VtdIotlbReg.Did.Set(val, domainId);
        if (drainReads) val |= VtdIotlbReg.Dr.Mask;
        if (drainWrites) val |= VtdIotlbReg.Dw.Mask;
        if (g == VtdInvalidationGranularity.DeviceOrPage) Write64(_ivaOffset, (address & ~0xFFFUL) | (uint)mask);
        Write64(_iotlbOffset, val);
        var done = WaitFor(_iotlbOffset, 8, v => !VtdIotlbReg.Ivt.IsSet(v));
        if (VtdIotlbReg.Iaig.Get(done) == 0) throw new InvalidOperationException("IOMMU: flush IOTLB failed");
    }

    /// <summary>
    /// Linux 2.6.32 <c>qi_submit_sync</c>: the descriptor at free_head, a wait descriptor (SW | FN, status data
    /// QI_DONE, status address = desc_status[wait_index]) behind it, IQT := new head, then poll the status word.
    /// An IQE (hardware rejected a descriptor) is a driver bug here and throws.
    /// </summary>
    private void SubmitSync(ulong low, ulong high)
    {
        var index = _freeHead;
        var waitIndex = (index + 1) % QiLength;
        var statusAt = _queueStatus.Add((ulong)waitIndex * 4);
        _memory.WriteU32(_queueStatus.Add((ulong)index * 4), QiInUse);
        _memory.WriteU32(statusAt, QiInUse);
        WriteDescriptor(index, low, high);
        WriteDescriptor(waitIndex, VtdInvDescriptor.WaitLow(QiDone, statusWrite: true, interrupt: false, fence: true),
            VtdInvDescriptor.WaitHigh(statusAt));
        _freeHead = (index + 2) % QiLength;
        Write32(VtdRegister.Iqt, (uint)(_freeHead << VtdIqPointer.Shift128));
        for (var i = 0; i < MaxPolls; i++)
        {
            if (_memory.ReadU32(statusAt) == QiDone)
            {
                _memory.WriteU32(_queueStatus.Add((ulong)index * 4), QiDone);
                return;
            }
            if ((Read32(VtdRegister.Fsts) & VtdFsts.Iqe) != 0)
                throw new InvalidOperationException("DMAR: invalidation queue error (IQE) at descriptor " + index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        throw new InvalidOperationException("DMAR hardware is malfunctioning");
    }

    private void WriteDescriptor(int index, ulong low, ulong high)
    {
        var at = _queue.Add((ulong)index * VtdInvDescriptor.Size128);
        _memory.WriteU64(at, low);
        _memory.WriteU64(at.Add(8), high);
    }
}
