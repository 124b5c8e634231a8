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
        if (!_iommu.IdentMapAll) return false;
        var si = _iommu.SiDomain;
        var inSi = si is not null && _iommu.DomainOf(dev) == si;
        // No check at run time: a device boot put in si_domain stays identity-mapped (the si_domain has no IOVA
        // space to map from; a profile mixing an era's boot with a later era's missing check, as `dmasim bisect`
        // builds between 3.0 and 6.1, reached intel_map_single with it and failed on the absent allocator).
        if (P.RuntimeIdentityCheck.Value == IdentityCheck.None) return inSi;
        var verdict = IdentityPolicy.Decide(P, Inputs(dev), startup: false);
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
                if (GroupSize?.Invoke(dev) is null or 1) _k.Log($"pci {dev.PciName}: Using iommu dma mapping");
                _k.Log($"pci {dev.PciName}: DMAR: 32bit DMA uses non-identity mapping");
            }
            else
            {
                // 4.1+: pr_info under pr_fmt "DMAR: " (LogStyle.Modern).
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

    public IdentityInputs Inputs(KernelDevice dev) => new(
        _iommu.IdentMapAll,
        dev.Pci.IsPcie,
        _k.Pci.IsOnRootBus(dev.Bdf),
        dev.Pci.Kind,
        dev.DmaMask,
        dev.CoherentDmaMask,
        // dma_get_required_mask (2.6.3x/3.0) / dma_direct_get_required_mask (5.4 iommu_need_mapping): the RAM's reach.
        KernelContext.RequiredMaskForMaxPfn(_k.Pages.MaxPfn),
        _iommu.RmrrsOf(dev.Bdf).Any(),
        dev.Pci.ClassCode >> 8 == 0x0c03);

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
        MapSingle(dev, phys, size, dir, dev.DmaMask);

    /// <summary>__intel_map_single.</summary>
    private DmaMapping MapSingle(KernelDevice dev, PhysAddr phys, ulong size, DmaDirection dir, ulong mask)
    {
        if (NoMapping(dev)) return DmaMapping.Success(DmaAddr.Identity(phys));
        var domain = _iommu.GetValidDomainForDev(dev);
        if (domain is null) return DmaMapping.Failure($"{dev.PciName}: no IOMMU covers the device");
        dev.Domain = DeviceDomain.Translated;
        var unit = _iommu.UnitFor(dev.Bdf)!;
        var pages = AlignedPages(phys.Value, size);
        // 2.6.32 passes pdev->dma_mask here whatever the caller asked for ("Use coherent DMA mask when
        // requested" fixed it in 2011).
        var iovaMask = P.CoherentIovaLimit.Value == CoherentIovaLimit.StreamingMask ? dev.DmaMask : mask;
        var iova = AllocIova(dev, domain, pages, iovaMask);
        if (iova is null)
        {
            // By this point 2.6.32 has replaced size with the page count (aligned_nrpages).
            _k.Log($"Device {dev.PciName} request: {pages:x}@{phys.Value:x} dir {(int)dir} --- failed");
            return DmaMapping.Failure($"Allocating {pages}-page iova for {dev.PciName} failed");
        }
        // Read permission also when the unit cannot do zero-length reads (!CAP.ZLR).
        var read = dir is DmaDirection.ToDevice or DmaDirection.Bidirectional || !unit.Hw.ZeroLengthRead;
        var write = dir is DmaDirection.FromDevice or DmaDirection.Bidirectional;
        var r = domain.Table!.Map(iova.Value.PfnLo, phys.Pfn, pages, read, write);
        foreach (var c in r.Conflicts.Take(1))
            _k.Log($"ERROR: DMA PTE for vPFN 0x{c.IovaPfn:x} already set (to {c.Existing:x} not {c.Wanted:x})");
        if (r.Status == Hw.MapStatus.OutOfMemory)
        {
            // __intel_map_single: domain_pfn_mapping failed → error: free the IOVA, the same "--- failed" line.
            domain.Iova!.FreeIova(iova.Value.PfnLo);
            _k.Log($"Device {dev.PciName} request: {pages:x}@{phys.Value:x} dir {(int)dir} --- failed");
            return DmaMapping.Failure($"{dev.PciName}: no page left for VT-d page tables");
        }
        // Non-present → present needs an IOTLB flush only in caching mode, otherwise a write-buffer flush.
        if (unit.Hw.CachingMode) unit.Hw.FlushIotlbPages(0, iova.Value.PfnLo, pages);
        else unit.Hw.FlushWriteBuffer();
        return DmaMapping.Success(new DmaAddr((iova.Value.PfnLo << PhysAddr.PageShift) | phys.PageOffset));
    }

    /// <summary>
    /// intel_alloc_iova: clamp to the domain width; unless forcedac, try below 4 GiB first; then up to
    /// the mask; failure prints "Allocating %ld-page iova for %s failed".
    /// </summary>
    private Iova.Iova? AllocIova(KernelDevice dev, DmarDomain domain, ulong pages, ulong mask)
    {
        mask = Math.Min(mask, domain.MaxAddress);
        if (!_k.Cmdline.ForceDac && mask > DmaMask.Bits(32))
        {
            var low = domain.Iova!.AllocIova(pages, DmaMask.Bits(32) >> PhysAddr.PageShift, sizeAligned: true);
            if (low is not null) return low;
        }
        var iova = domain.Iova!.AllocIova(pages, mask >> PhysAddr.PageShift, sizeAligned: true);
        if (iova is null) _k.Log($"Allocating {pages}-page iova for {dev.PciName} failed");
        return iova;
    }

    public void UnmapPage(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir)
    {
        if (NoMapping(dev)) return;
        var domain = _iommu.DomainOf(dev);
        var iova = domain?.Iova?.FindIova(addr.Pfn);
        if (domain is null || iova is null)
        {
            _k.Log($"Driver unmaps unmatched page at PFN {addr.Value:x}");
            return;
        }
        var range = iova.Value;
        // The whole recorded IOVA range is cleared, whatever size the driver passed.
        var pages = range.PfnHi - range.PfnLo + 1;
        domain.Table!.Unmap(range.PfnLo, pages);
        var strict = _iommu.Strict || _k.Cmdline.Strict;
        if (strict)
        {
            foreach (var (unit, did) in domain.Dids) unit.Hw.FlushIotlbPages(did, range.PfnLo, pages);
            domain.Iova!.FreeIova(range.PfnLo);
        }
        else
        {
            _iommu.Unmaps.Add(domain, range.PfnLo, range.Size, DeferredUnmaps.IovaRelease.FreeRange);
        }
    }

    public void SyncForCpu(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir) => NoMapping(dev);
    public void SyncForDevice(KernelDevice dev, DmaAddr addr, ulong size, DmaDirection dir) => NoMapping(dev);

    /// <summary>aligned_nrpages: pages covering [paddr &amp; ~page, paddr + size).</summary>
    public static ulong AlignedPages(ulong paddr, ulong size) =>
        (((paddr & (PhysAddr.PageSize - 1)) + size + PhysAddr.PageSize - 1) >> PhysAddr.PageShift);

    private static ulong AlignPage(ulong size) => (size + PhysAddr.PageSize - 1) & ~(PhysAddr.PageSize - 1);
}
