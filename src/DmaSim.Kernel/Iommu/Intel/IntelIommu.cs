using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Iommu.Iova;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// The intel-iommu driver's global state and primitives (drivers/pci/intel-iommu.c of 2.6.3x, and the
/// parts of drivers/iommu/intel/iommu.c modern kernels keep): units, domains, context programming,
/// identity and RMRR maps, invalidation. Policy lives in the boot sequences and the dma ops.
/// </summary>
public sealed partial class IntelIommu
{
    /// <summary>The IOAPIC/MSI window every DMA domain reserves (dmar_init_reserved_ranges).</summary>
    public static readonly PhysRange IoapicRange = new(0xfee00000, 0xfeefffff);

    private readonly KernelContext _k;
    private readonly Dictionary<KernelDevice, DmarDomain> _domainOf = [];
    private readonly Dictionary<Bdf, DmarDomain> _groupDomain = [];
    private int _nextDomainId;

    public IntelIommu(KernelContext kernel, DmarInfo dmar, IReadOnlyList<DmarUnit> units)
    {
        _k = kernel;
        Dmar = dmar;
        Units = units;
        ActiveUnits = [.. units.Where(u => !u.Ignored)];
        ListOrder = [.. ActiveUnits.Where(u => !u.Drhd.IncludePciAll).Reverse(), .. ActiveUnits.Where(u => u.Drhd.IncludePciAll)];
        _anyIgnored = ActiveUnits.Count < units.Count;
        Unmaps = new DeferredUnmaps(kernel, this);
        Faults = new DmarFaultHandler(kernel, ActiveUnits);
        OmitAliasContext = kernel.Cmdline.OmitDmaAlias;
    }

    public DmarInfo Dmar { get; }
    public IReadOnlyList<DmarUnit> Units { get; }

    /// <summary>The units init_dmars sets up: every unit init_no_remapping_devices did not ignore (for_each_active_iommu).</summary>
    public IReadOnlyList<DmarUnit> ActiveUnits { get; }

    /// <summary>
    /// The active units as for_each_active_iommu walks dmar_drhd_units: dmar_register_drhd_unit adds each unit at the head
    /// except the include-all unit, added at the tail (drivers/pci/dmar.c 2.6.32, drivers/iommu/intel/dmar.c 6.x), so a
    /// 4-unit laptop runs dmar2, dmar1, dmar0, dmar3 (the X1 Carbon 5.17 log's invalidation lines).
    /// </summary>
    public IReadOnlyList<DmarUnit> ListOrder { get; }

    /// <summary>
    /// intel_iommu_init's lines from "No RMRR found" through init_dmars' "Using … invalidation" per unit (capability
    /// audit between, 5.12+), units in the kernel's list order; printed where the era prints them.
    /// </summary>
    public IReadOnlyList<string> InitLines { get; set; } = [];
    public KernelProfile Profile => _k.Profile;

    /// <summary>hw_pass_through: every active unit has ECAP.PT (init_dmars, 2.6.32).</summary>
    public bool HwPassThrough { get; set; }

    /// <summary>iommu_identity_mapping &amp; IDENTMAP_ALL (set by iommu=pt).</summary>
    public bool IdentMapAll { get; set; }

    /// <summary>iommu_identity_mapping &amp; IDENTMAP_GFX (intel_iommu=igfx_off, 5.2 – 6.9: <see cref="Intel.IdentMapGfx"/>).</summary>
    public bool IdentMapGfx { get; set; }

    /// <summary>si_domain, when identity mapping is on.</summary>
    public DmarDomain? SiDomain { get; private set; }

    /// <summary>intel_iommu_strict.</summary>
    public bool Strict { get; set; }

    /// <summary>
    /// Whether an unmap of this device invalidates at once: the global policy (intel_iommu_strict,
    /// iommu.strict), a domain allocated as IOMMU_DOMAIN_DMA without a flush queue (<see cref="DmarDomain.Strict"/>),
    /// or an untrusted device where the era never queues its IOVAs (<see cref="KernelProfile.UntrustedStrict"/>).
    /// </summary>
    public bool UnmapIsStrict(KernelDevice dev, DmarDomain domain)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(domain);
        return Strict || _k.Cmdline.Strict || domain.Strict || (Profile.UntrustedStrict.Value && dev.Untrusted);
    }

    public DeferredUnmaps Unmaps { get; }

    /// <summary>The DMAR fault interrupt handler (dmar_fault).</summary>
    public DmarFaultHandler Faults { get; }

    /// <summary>
    /// device_to_iommu: the first DRHD whose scope names the device or a bridge above it, else the
    /// INCLUDE_PCI_ALL unit (drivers/pci/intel-iommu.c device_to_iommu); null for a dummy device, whose unit
    /// is ignored (iommu_dummy / iommu_is_dummy: the kernel gives it no IOMMU, not the include-all unit).
    /// </summary>
    public DmarUnit? UnitFor(Bdf bdf) => ScopeUnit(bdf) is { Ignored: false } u ? u : null;

    /// <summary>The device sits under a unit init_no_remapping_devices ignored (DUMMY_DEVICE_DOMAIN_INFO): its DMA API uses physical addresses.</summary>
    /// <remarks>The legacy dma ops ask on every call; with no unit ignored (nearly every machine) that costs no scope walk.</remarks>
    public bool IsDummy(Bdf bdf) => _anyIgnored && ScopeUnit(bdf) is { Ignored: true };

    private readonly bool _anyIgnored;

    private DmarUnit? ScopeUnit(Bdf bdf)
    {
        DmarUnit? catchAll = null;
        // An index loop: foreach over the IReadOnlyList would allocate an enumerator on every dma_map.
        for (var i = 0; i < Units.Count; i++)
        {
            var u = Units[i];
            if (u.Drhd.IncludePciAll) { catchAll ??= u; continue; }
            foreach (var s in u.Drhd.Devices)
            {
                if (s.Bdf == bdf) return u;
                if (s.IsBridgeScope && _k.Pci.BridgesAbove(bdf).Any(b => b.Bdf == s.Bdf)) return u;
            }
        }
        return catchAll;
    }

    public DmarDomain? DomainOf(KernelDevice dev)
    {
        // Every map and unmap asks for the domain of the device it asked for last (Linux reads a pointer off
        // the device); Attach and Detach forget the answer.
        if (ReferenceEquals(dev, _lastDevice)) return _lastDomain;
        var domain = _domainOf.GetValueOrDefault(dev);
        _lastDevice = dev;
        _lastDomain = domain;
        return domain;
    }

    private KernelDevice? _lastDevice;
    private DmarDomain? _lastDomain;

    private void ForgetLastDomain()
    {
        _lastDevice = null;
        _lastDomain = null;
    }

    /// <summary>The RMRRs whose scope lists the device, or a bridge above it.</summary>
    public IEnumerable<RmrrInfo> RmrrsOf(Bdf bdf) => Dmar.Rmrrs.Where(r => Names(r, bdf));

    /// <summary>Whether an RMRR's scope lists the device, or a bridge above it (device_has_rmrr). Asked on every map by eras that decide identity per DMA, so it walks the scopes with plain loops (only a bridge scope entry asks for the bridges above the device).</summary>
    public bool HasRmrr(Bdf bdf)
    {
        var rmrrs = Dmar.Rmrrs;
        for (var i = 0; i < rmrrs.Count; i++)
            if (Names(rmrrs[i], bdf)) return true;
        return false;
    }

    private bool Names(RmrrInfo rmrr, Bdf bdf)
    {
        var scope = rmrr.Devices;
        for (var i = 0; i < scope.Count; i++)
        {
            var s = scope[i];
            if (s.Bdf == bdf || (s.IsBridgeScope && IsBridgeAbove(s.Bdf, bdf))) return true;
        }
        return false;
    }

    // A loop, not a lambda over the scope entry: a closure would be allocated for every entry the loop visits.
    private bool IsBridgeAbove(Bdf bridge, Bdf device)
    {
        foreach (var b in _k.Pci.BridgesAbove(device))
            if (b.Bdf == bridge) return true;
        return false;
    }

    // ---- domains -------------------------------------------------------------------------------

    /// <summary>A new DMA domain whose tables fit every unit it may be attached to (domain_init).</summary>
    public DmaDomain NewDmaDomain(IEnumerable<DmarUnit> units)
    {
        var agaw = AgawFor(units);
        var iova = NewIovaDomain();
        // domain_reserve_special_ranges: the IOAPIC window is never handed out as an IOVA.
        iova.ReserveIova(IoapicRange.Start.Pfn, IoapicRange.End.Pfn);
        return new DmaDomain(_nextDomainId++, NewTable(agaw), agaw, iova);
    }

    private static int AgawFor(IEnumerable<DmarUnit> units) => units.Select(u => u.Hw.Agaw).DefaultIfEmpty(2).Min();

    private DmaPageTable NewTable(int agaw) => new(_k.Memory, agaw, AllocTablePage, FreeTablePage, allocTableRun: AllocTableRun);

    private IovaDomain NewIovaDomain() =>
        // init_iova_domain: 4 KiB granule, start_pfn 1; 2.6.32 passes the inclusive 32-bit pfn.
        new(PhysAddr.PageSize, 1, algorithm: Profile.Iova.Value);

    /// <summary>si_domain_init: the static identity domain; software PT maps every RAM range 1:1.</summary>
    public IdentityDomain InitSiDomain(bool hw)
    {
        var agaw = AgawFor(Units);
        var si = new IdentityDomain(_nextDomainId++, hw ? null : NewTable(agaw), agaw);
        SiDomain = si;
        if (!hw)
        {
            foreach (var r in _k.E820.UsableRanges) IdentityMap(si, r);
        }
        return si;
    }

    /// <summary>
    /// iommu_domain_identity_map (drivers/pci/intel-iommu.c 2.6.32 … drivers/iommu/intel/iommu.c 6.1): reserve
    /// the IOVA range, clear whatever is mapped there ("RMRR range might have overlap with physical memory
    /// range, clear it first": an RMRR over RAM already in si_domain), then map [start, end] 1:1 read+write.
    /// </summary>
    public bool IdentityMap(DmarDomain domain, PhysRange range)
    {
        if (domain.Table is null) return true;
        var first = range.Start.Pfn;
        var pages = range.End.Pfn - first + 1;
        if (domain is DmaDomain dma) dma.Iova.ReserveIova(first, range.End.Pfn);
        domain.Table.Unmap(first, pages);
        // 1:1: the IOVA frame is the physical frame.
        var r = domain.Table.Map(new IovaPfn(first), new PhysPfn(first), pages, read: true, write: true);
        ReportPteConflicts(r);
        if (r.Status == MapStatus.OutOfMemory)
            _k.Note($"identity map of {range} stopped after {r.PagesMapped} pages: no page left for its page tables (-ENOMEM)");
        return r.Status == MapStatus.Ok;
    }

    /// <summary>Attaches a device (and its DMA aliases) to a domain on its unit (domain_add_dev_info + domain_context_mapping).</summary>
    public bool Attach(KernelDevice dev, DmarDomain domain, ContextTranslationType type)
    {
        var unit = UnitFor(dev.Bdf);
        if (unit is null) return false;
        if (!domain.Dids.TryGetValue(unit, out var did))
        {
            did = DomainIdFor(unit, type);
            domain.Dids[unit] = did;
        }
        var moving = _domainOf.TryGetValue(dev, out var previous) && previous != domain;
        if (moving) previous!.Devices.Remove(dev);
        foreach (var alias in _k.Pci.DmaAliases(dev.Bdf))
        {
            if (unit.Hw.ContextPresent(alias))
            {
                // domain_context_mapping_one returns early on a present entry: a device moved without a
                // detach keeps its old domain in the hardware.
                if (moving) _k.Note($"context entry for {alias} already present: {dev.PciName} keeps its old domain in the hardware");
                continue;
            }
            if (OmitAliasContext && alias != dev.Bdf)
            {
                _k.Note($"fault injection: context entry for DMA alias {alias} of {dev.PciName} not programmed");
                continue;
            }
            unit.Hw.SetContext(alias, type, did, domain.Agaw, domain.Table?.Root ?? default);
        }
        if (type != ContextTranslationType.PassThrough || !unit.Hw.CachingMode) unit.Hw.FlushWriteBuffer();
        else unit.Hw.FlushContextGlobal();
        domain.Devices.Add(dev);
        _domainOf[dev] = domain;
        ForgetLastDomain();
        return true;
    }

    /// <summary>The domain id a new domain gets on a unit (<see cref="KernelProfile.DomainIds"/>).</summary>
    private ushort DomainIdFor(DmarUnit unit, ContextTranslationType type) => Profile.DomainIds.Value switch
    {
        DomainIdAllocation.IdaFromTwo when type == ContextTranslationType.PassThrough => 1, // FLPT_DEFAULT_DID
        DomainIdAllocation.IdaFromTwo => unit.AllocDid(2), // IDA_START_DID
        _ => unit.AllocDid(unit.Hw.CachingMode ? (ushort)1 : (ushort)0), // bit 0 reserved under caching mode
    };

    /// <summary>Fault injection: leave the bridge alias's context entry out (shows what a missing alias costs).</summary>
    public bool OmitAliasContext { get; set; }

    /// <summary>domain_remove_one_dev_info: clear the context entries, flush context cache and IOTLB globally.</summary>
    public void Detach(KernelDevice dev)
    {
        if (!_domainOf.Remove(dev, out var domain)) return;
        ForgetLastDomain();
        domain.Devices.Remove(dev);
        var unit = UnitFor(dev.Bdf);
        if (unit is null) return;
        foreach (var alias in _k.Pci.DmaAliases(dev.Bdf))
        {
            // Other devices behind the same bridge still use the alias entry.
            if (alias != dev.Bdf && domain.Devices.Any(d => _k.Pci.DmaAliases(d.Bdf).Contains(alias))) continue;
            unit.Hw.ClearContext(alias);
        }
        unit.Hw.FlushContextGlobal();
        unit.Hw.FlushIotlbGlobal();
    }

    /// <summary>
    /// get_domain_for_dev / get_valid_domain_for_dev: the device's domain, else the domain of the bridge
    /// group it shares a requester id with, else a new private DMA domain with its context programmed.
    /// </summary>
    public DmarDomain? GetValidDomainForDev(KernelDevice dev)
    {
        if (_domainOf.TryGetValue(dev, out var d)) return d;
        var unit = UnitFor(dev.Bdf);
        if (unit is null) return null;
        var groupKey = _k.Pci.RequesterIdSeenByRootComplex(dev.Bdf);
        var isNew = false;
        if (!_groupDomain.TryGetValue(groupKey, out d))
        {
            d = NewDmaDomain([unit]);
            _groupDomain[groupKey] = d;
            isNew = true;
        }
        Attach(dev, d, ContextTranslationType.MultiLevel);
        // "We have a new domain - setup possible RMRRs for the device" arrived only in later kernels.
        if (isNew && Profile.RmrrMappedIntoNewDomains.Value)
        {
            foreach (var r in RmrrsOf(dev.Bdf)) MapRmrr(dev, d, r);
        }
        return d;
    }

    /// <summary>The identity part of iommu_prepare_identity_map for one RMRR.</summary>
    public void MapRmrr(KernelDevice dev, DmarDomain domain, RmrrInfo r)
    {
        if (domain.Table is null) return;
        if (r.Range.End.Value >> domain.Width != 0)
        {
            _k.Log($"Your BIOS is broken; RMRR exceeds permitted address width ({domain.Width} bits)");
            return;
        }
        // init_dmars / iommu_prepare_rmrr_dev: a failed map is reported and boot goes on.
        if (!IdentityMap(domain, r.Range)) _k.Log(MappingReservedRegionFailed);
    }

    // init_dmars' pr_err after a failed iommu_prepare_rmrr_dev: 2.6.3x "IOMMU: mapping reserved region failed";
    // 4.x "DMAR: Mapping reserved region failed" (pr_fmt "DMAR: ") [R: 4.x wording from bug reports, not a tree read].
    public string MappingReservedRegionFailed => Profile.LogStyle.Value == LogStyle.Legacy
        ? "IOMMU: mapping reserved region failed" : "DMAR: Mapping reserved region failed";

    private void ReportPteConflicts(MapResult r)
    {
        foreach (var c in r.Conflicts.Take(5))
            _k.Log($"ERROR: DMA PTE for vPFN 0x{c.IovaPfn:x} already set (to {c.Existing:x} not {c.Wanted:x})");
    }

    // ---- page-table pages come from the page allocator, as the driver's alloc_pgtable_page ----

    private PhysAddr AllocTablePage()
    {
        var p = _k.Pages.AllocPages(0, Gfp.Atomic | Gfp.Zero, new FrameOwner(OwnerKind.VtdTable, null, "page table"))
            ?? throw new TablePagesExhaustedException("out of memory for VT-d page tables");
        return p.Start;
    }

    // 512 leaf tables at once for a whole 1 GiB of an identity map: the pages 512 alloc_pgtable_page calls
    // take from a fresh block, each freed alone later. Not zeroed here: the table writes every word of them.
    private PhysAddr? AllocTableRun(int order) =>
        _k.Pages.AllocSplitPages(order, Gfp.Atomic, new FrameOwner(OwnerKind.VtdTable, null, "page table"))?.Start;

    private void FreeTablePage(PhysAddr page) => _k.Pages.FreePages(page, 0);

    /// <summary>Root/context table pages for the unit drivers.</summary>
    /// <remarks>
    /// No page left for a root or context table means every page of RAM is in use (a firmware RMRR whose
    /// identity map took it all): the real machine ends in the OOM killer's panic (mm/oom_kill.c
    /// out_of_memory: no task left to kill → panic("Out of memory and no killable processes...")) [R: text
    /// from the function as recalled], and so does this one.
    /// </remarks>
    public static Func<PhysAddr> TablePageAllocator(KernelContext k, string label) => () =>
        (k.Pages.AllocPages(0, Gfp.Zero, new FrameOwner(OwnerKind.VtdTable, null, label))
         ?? throw new KernelPanicException("Out of memory and no killable processes...")).Start;

    public static Action<PhysAddr> TablePageFreer(KernelContext k) => p => k.Pages.FreePages(p, 0);

    /// <summary>Builds the kernel's unit list from the DMAR table, one driver per DRHD the hardware answers at.</summary>
    public static List<DmarUnit> CreateUnits(KernelContext k, DmarInfo dmar, Func<ulong, VtdUnit?> mmio)
    {
        var units = new List<DmarUnit>();
        foreach (var d in dmar.Drhds)
        {
            var hw = mmio(d.RegisterBase) ?? throw new InvalidOperationException($"no remapping unit at {Hex.Format(d.RegisterBase)}");
            var driver = new IntelIommuUnitDriver(hw, k.Memory, TablePageAllocator(k, "root/context table"), TablePageFreer(k), IntelIommuDriverOptions.For(k.Profile));
            units.Add(new DmarUnit(units.Count, d, driver));
        }
        return units;
    }
}
