using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// intel_dma_ops of 2.6.31 – 3.x (drivers/pci/intel-iommu.c): every entry first asks
/// iommu_no_mapping, which may move the device in or out of si_domain, then either hands out the
/// physical address or maps an IOVA in the device's private domain.
/// </summary>
public sealed class IntelDmaOps : IDmaOps
{
    private readonly KernelContext _k;
    private readonly IntelIommu _iommu;

    public IntelDmaOps(KernelContext kernel, IntelIommu iommu)
    {
        _k = kernel;
        _iommu = iommu;
    }

    /// <summary>How many devices share the device's IOMMU group (5.3 – 5.6 iommu_request_dma_domain_for_dev); null outside the default-domain eras.</summary>
    public Func<KernelDevice, int>? GroupSize { get; set; }

    public DmaOpsKind Kind => DmaOpsKind.IntelIommu;
    public string Name => "intel_dma_ops";
    private KernelProfile P => _k.Profile;

    /// <summary>
    /// iommu_no_mapping (2.6.32): true → use physical addresses. A device in si_domain that no longer
    /// passes the identity test is removed from it ("32bit %s uses non-identity mapping"); a device
    /// outside that now passes is added ("64bit %s uses identity mapping"). One-way per call, no drain.
    /// </summary>
    public bool NoMapping(KernelDevice dev)
    {
        _iommu.Unmaps.Poll();
        // iommu_dummy first: a device of an ignored unit (igfx_off) maps to physical addresses.
        if (_iommu.IsDummy(dev.Bdf)) return true;
        if (!_iommu.IdentMapAll && !_iommu.IdentMapGfx) return false;
        var si = _iommu.SiDomain;
        var inSi = si is not null && _iommu.DomainOf(dev) == si;
        // No check at run time: a device boot put in si_domain stays identity-mapped (the si_domain has no IOVA
        // space to map from; a profile mixing an era's boot with a later era's missing check, as `dmasim bisect`
        // builds between 3.0 and 6.1, reached intel_map_single with it and failed on the absent allocator).
        if (P.RuntimeIdentityCheck.Value == IdentityCheck.None) return inSi;
        var verdict = IdentityPolicy.Decide(P, Inputs(dev), startup: false, Release);
        if (inSi)
        {
            if (verdict.Identity) return true;
            _iommu.Detach(dev);
            dev.Domain = DeviceDomain.Translated;
            if (P.PrivateDomains.Value)
            {
                // iommu_need_mapping (5.3 – 5.6): iommu_request_dma_domain_for_dev succeeds only for a group of
                // one ("Using iommu dma mapping"), else a private domain; then dev_info under pr_fmt "DMAR: ".
                // dev_info names the bound driver ("ehci-pci 0000:00:1a.0: …"); the model has no driver name and uses the bus's.
                // dev_info names the bound driver (the first map comes from it), "pci" before one binds.
                var who = dev.DriverString ?? "pci";
                if (GroupSize?.Invoke(dev) is null or 1) _k.Log($"{who} {dev.PciName}: Using iommu dma mapping");
                _k.Log($"{who} {dev.PciName}: DMAR: 32bit DMA uses non-identity mapping");
            }
            else
            {
                // 4.2+: pr_info under pr_fmt "DMAR: " (LogStyle.Modern).
                _k.Log($"{(P.LogStyle.Value == LogStyle.Modern ? "DMAR: " : "")}32bit {dev.PciName} uses non-identity mapping");
            }
            _k.Events.Emit(new IommuDecisionEvent(dev.Name, "left si_domain", verdict.Reason, verdict.Source));
            return false;
        }
        // 2.6.32 re-adds any device not in si_domain, even one that holds a private domain; 5.3's
        // iommu_need_mapping only ever moves a device out.
        if (verdict.Identity && si is not null && !P.PrivateDomains.Value)
        {
            if (_iommu.Attach(dev, si, _iommu.HwPassThrough ? ContextTranslationType.PassThrough : ContextTranslationType.MultiLevel))
            {
                dev.Domain = _iommu.HwPassThrough ? DeviceDomain.PassThrough : DeviceDomain.Identity;
                _k.Log($"{(P.LogStyle.Value == LogStyle.Modern ? "DMAR: " : "")}64bit {dev.PciName} uses identity mapping");
                _k.Events.Emit(new IommuDecisionEvent(dev.Name, "joined si_domain", verdict.Reason, verdict.Source));
                return true;
            }
        }
        return false;
    }

    /// <summary>The exact release the scenario names, for rules a profile leaves to it; null when none is given.</summary>
    public Boot.KernelVersion? Release => _k.Release;

    public IdentityInputs Inputs(KernelDevice dev) => new(
        _iommu.IdentMapAll,
        dev.Pci.IsPcie,
        _k.Pci.IsOnRootBus(dev.Bdf),
        dev.Pci.Kind,
        dev.DmaMask,
        dev.CoherentDmaMask,
        // dma_get_required_mask (2.6.3x/3.0) / dma_direct_get_required_mask (5.4 iommu_need_mapping): the RAM's reach.
        KernelContext.RequiredMaskForMaxPfn(_k.MaxPfn),
        _iommu.HasRmrr(dev.Bdf),
        dev.Pci.IsUsb,
        dev.Pci.IsGraphics,
        _iommu.IdentMapGfx);

    public CoherentBuffer? AllocCoherent(KernelDevice dev, ulong size, Gfp gfp)
    {
        size = AlignPage(size);
        switch (P.IdentityCoherentAlloc.Value)
        {
            case IdentityCoherentAlloc.ClearZoneFlags:
                // 2.6.32-rc5: the zone flags the front end set from the coherent mask are thrown away,
                // because a remapped page can live anywhere. Identity devices are not remapped.
                gfp &= ~(Gfp.Dma | Gfp.Dma32);
                break;
            case IdentityCoherentAlloc.OrDmaAndDma32:
                if (NoMapping(dev)) gfp |= Gfp.Dma | Gfp.Dma32;
                else gfp &= ~(Gfp.Dma | Gfp.Dma32);
                break;
            case IdentityCoherentAlloc.GenericAllocCoherent:
                if (NoMapping(dev)) return CoherentAllocators.GenericAllocCoherent(_k, dev, size, gfp);
                gfp &= ~(Gfp.Dma | Gfp.Dma32);
                break;
            default:
                if (!NoMapping(dev)) gfp &= ~(Gfp.Dma | Gfp.Dma32);
                else if (dev.CoherentDmaMask < _k.RequiredMask(dev))
                    gfp |= dev.CoherentDmaMask < DmaMask.Bits(32) ? Gfp.Dma : Gfp.Dma32;
                break;
        }
        var page = CoherentAllocators.AllocPagesFor(_k, dev, size, gfp);
        if (page is null) return null;
        var handle = MapSingle(dev, page.Value.Start, size, DmaDirection.Bidirectional, dev.CoherentDmaMask);
        if (!handle.Ok)
        {
            _k.Pages.FreePages(page.Value.Start, page.Value.Order);
            return null;
        }
        return new CoherentBuffer(page.Value.Start, handle.Address, size, page.Value.Order);
    }

    public void FreeCoherent(KernelDevice dev, CoherentBuffer buffer)
    {
        UnmapPage(dev, buffer.Dma, buffer.Size, DmaDirection.Bidirectional);
        _k.Pages.FreePagesIfAllocated(buffer.Cpu, buffer.Order);
    }

    public DmaMapping MapPage(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir) =>
        UntrustedBounceSlots.Needed(_k, dev, phys, size) ? MapBounced(dev, phys, size, dir) : MapSingle(dev, phys, size, dir, dev.DmaMask);

    /// <summary>bounce_map_single (5.4 – 5.10): the slot is mapped instead of the buffer; on failure "Device bounce map … --- failed".</summary>
    private DmaMapping MapBounced(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir)
    {
        var r = UntrustedBounceSlots.Take(_k, dev, phys, size, dir);
        var m = r.IsMapped ? MapSingle(dev, r.Address, size, dir, dev.DmaMask) : DmaMapping.Failure(r.Message ?? "swiotlb mapping failed");
        if (m.Ok) return m;
        if (r.IsMapped) UntrustedBounceSlots.Release(_k, r.Address, size);
        _k.Log($"pci {dev.PciName}: DMAR: Device bounce map: {size:x}@{phys.Value:x} dir {(int)dir} --- failed");
        return m;
    }

    /// <summary>__intel_map_single.</summary>
    private DmaMapping MapSingle(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir, ulong mask)
    {
        if (NoMapping(dev)) return DmaMapping.Success(DmaAddr.Identity(phys));
        var found = _iommu.GetValidDomainForDev(dev);
        if (found is null) return DmaMapping.Failure($"{dev.PciName}: no IOMMU covers the device");
        // NoMapping answers every si_domain device first; the kernel's si_domain would carry an iovad, the model's
        // identity domain has none, so reaching this line is a model gap reported as a failed map, never a crash.
        if (found is not DmaDomain domain) return DmaMapping.Failure($"{dev.PciName}: mapped through si_domain, which the model gives no IOVA space");
        dev.Domain = DeviceDomain.Translated;
        var unit = _iommu.UnitFor(dev.Bdf)!;
        var pages = AlignedPages(phys.Value, size);
        // 2.6.32 passes pdev->dma_mask here whatever the caller asked for ("Use coherent DMA mask when
        // requested" fixed it in 2011).
        var iovaMask = P.CoherentIovaLimit.Value == CoherentIovaLimit.StreamingMask ? dev.DmaMask : mask;
        var iovaPfn = AllocIova(dev, domain, pages, iovaMask);
        if (iovaPfn is not { } pfn)
        {
            // By this point 2.6.32 has replaced size with the page count (aligned_nrpages).
            _k.Log($"Device {dev.PciName} request: {pages:x}@{phys.Value:x} dir {(int)dir} --- failed");
            return DmaMapping.Failure($"Allocating {pages}-page iova for {dev.PciName} failed");
        }
        // Read permission also when the unit cannot do zero-length reads (!CAP.ZLR).
        var read = dir is DmaDirection.ToDevice or DmaDirection.Bidirectional || !unit.Hw.ZeroLengthRead;
        var write = dir is DmaDirection.FromDevice or DmaDirection.Bidirectional;
        var r = domain.Table.Map(new IovaPfn(pfn), new PhysPfn(phys.Pfn), pages, read, write);
        foreach (var c in r.Conflicts.Take(1))
            _k.Log($"ERROR: DMA PTE for vPFN 0x{c.IovaPfn:x} already set (to {c.Existing:x} not {c.Wanted:x})");
        if (r.Status == Hw.MapStatus.OutOfMemory)
        {
            // __intel_map_single: domain_pfn_mapping failed → error: free the IOVA, the same "--- failed" line.
            FreeIova(domain, pfn, pages);
            _k.Log($"Device {dev.PciName} request: {pages:x}@{phys.Value:x} dir {(int)dir} --- failed");
            return DmaMapping.Failure($"{dev.PciName}: no page left for VT-d page tables");
        }
        // Non-present → present needs an IOTLB flush only in caching mode, otherwise a write-buffer flush.
        if (unit.Hw.CachingMode) unit.Hw.FlushIotlbPages(0, pfn, pages);
        else unit.Hw.FlushWriteBuffer();
        return DmaMapping.Success(new DmaAddr((pfn << PhysAddr.PageShift) | phys.PageOffset));
    }

    /// <summary>
    /// intel_alloc_iova: clamp to the domain width; unless forcedac, try below 4 GiB first; then up to
    /// the mask; failure prints "Allocating %ld-page iova for %s failed". 2.6.3x – 4.6 use alloc_iova; from
    /// 4.7 the page count is rounded to a power of two and both tries go through alloc_iova_fast, the
    /// second flushing the range caches (<see cref="KernelProfile.IntelOpsIovaFast"/>).
    /// </summary>
    private ulong? AllocIova(KernelDevice dev, DmaDomain domain, ulong pages, ulong mask)
    {
        mask = Math.Min(mask, domain.MaxAddress);
        var iovad = domain.Iova;
        var fast = P.IntelOpsIovaFast.Value;
        if (fast) pages = System.Numerics.BitOperations.RoundUpToPowerOf2(pages);
        if (!_k.Cmdline.ForceDac && mask > DmaMask.Bits(32))
        {
            var lowLimit = DmaMask.Bits(32) >> PhysAddr.PageShift;
            var low = fast ? Pfn(iovad.AllocIovaFast(pages, lowLimit, false)) : iovad.AllocIova(pages, lowLimit, sizeAligned: true)?.PfnLo;
            if (low is not null) return low;
        }
        var limit = mask >> PhysAddr.PageShift;
        var iova = fast ? Pfn(iovad.AllocIovaFast(pages, limit, true)) : iovad.AllocIova(pages, limit, sizeAligned: true)?.PfnLo;
        if (iova is null) _k.Log($"Allocating {pages}-page iova for {dev.PciName} failed");
        return iova;
    }

    private static ulong? Pfn(ulong fastResult) => fastResult == 0 ? null : fastResult;

    private void FreeIova(DmaDomain domain, ulong pfn, ulong pages)
    {
        if (P.IntelOpsIovaFast.Value) domain.Iova.FreeIovaFast(pfn, pages);
        else domain.Iova.FreeIova(pfn);
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (NoMapping(dev)) return;
        if (_iommu.DomainOf(dev) is not DmaDomain domain)
        {
            _k.Log($"Driver unmaps unmatched page at PFN {addr.Value:x}");
            return;
        }
        if (P.IntelOpsIovaFast.Value) UnmapBySize(dev, domain, addr, size, dir);
        else UnmapWholeRange(dev, domain, addr);
    }

    /// <summary>intel_unmap_page (2.6.3x – 4.6): find_iova, and the whole recorded range is cleared whatever size the driver passed.</summary>
    private void UnmapWholeRange(KernelDevice dev, DmaDomain domain, DmaAddr addr)
    {
        if (domain.Iova.FindIova(addr.Pfn) is not { } range)
        {
            _k.Log($"Driver unmaps unmatched page at PFN {addr.Value:x}");
            return;
        }
        var pages = range.PfnHi - range.PfnLo + 1;
        domain.Table.Unmap(range.PfnLo, pages);
        if (_iommu.UnmapIsStrict(dev, domain))
        {
            foreach (var (unit, did) in domain.Dids) unit.Hw.FlushIotlbPages(did, range.PfnLo, pages);
            domain.Iova.FreeIova(range.PfnLo);
        }
        else
        {
            _iommu.Unmaps.Add(domain, range.PfnLo, range.Size, DeferredUnmaps.IovaRelease.FreeRange);
        }
    }

    /// <summary>
    /// intel_unmap (4.7+): aligned_nrpages(dev_addr, size) pages from the handle are cleared, then the IOVA goes
    /// back at once (strict, or an untrusted device from 5.4) or into the domain's flush queue. Like the
    /// kernel it does not look the handle up first: a double unmap frees the IOVA twice. A bounce slot found
    /// behind the handle beforehand goes back to swiotlb afterwards (bounce_unmap_single).
    /// </summary>
    private void UnmapBySize(KernelDevice dev, DmaDomain domain, DmaAddr addr, ulong size, DmaDirection dir)
    {
        var slot = UntrustedBounceSlots.SlotOf(_k, domain.Table, addr);
        var pfn = addr.Pfn;
        var pages = AlignedPages(addr.Value, size);
        domain.Table.Unmap(pfn, pages);
        if (_iommu.UnmapIsStrict(dev, domain))
        {
            foreach (var (unit, did) in domain.Dids) unit.Hw.FlushIotlbPages(did, pfn, pages);
            domain.Iova.FreeIovaFast(pfn, pages);
        }
        else
        {
            _iommu.Unmaps.Add(domain, pfn, pages, DeferredUnmaps.IovaRelease.FreeFast);
        }
        if (slot is { } s) _k.Swiotlb!.Unmap(s, size, dir);
    }

    /// <summary>intel_dma_ops has no sync; bounce_dma_ops syncs the slot (bounce_sync_single).</summary>
    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (!NoMapping(dev) && BounceSlot(dev, addr) is { } slot) _k.Swiotlb!.SyncForCpu(slot, size, dir);
    }

    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (!NoMapping(dev) && BounceSlot(dev, addr) is { } slot) _k.Swiotlb!.SyncForDevice(slot, size, dir);
    }

    private PhysAddr? BounceSlot(KernelDevice dev, DmaAddr addr) =>
        P.UntrustedBounce.Value == UntrustedBounce.None || !dev.Untrusted ? null : UntrustedBounceSlots.SlotOf(_k, _iommu.DomainOf(dev)?.Table, addr);

    /// <summary>aligned_nrpages: pages covering [paddr &amp; ~page, paddr + size).</summary>
    public static ulong AlignedPages(ulong paddr, ulong size) =>
        (((paddr & (PhysAddr.PageSize - 1)) + size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift);

    private static ulong AlignPage(ulong size) => (size + PhysAddr.PageSize - 1) & ~(PhysAddr.PageSize - 1);
}
