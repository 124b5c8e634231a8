using DmaSim.Core;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>
/// The reference's own model of what a translated device's DMA meets between the page table and memory:
/// the IOTLB the VT-d unit fills on each successful walk, and the unmap policy that decides when it is
/// flushed. Written from the rules (VT-d spec 6.5: a unit may cache any translation it walked until software
/// invalidates it; the era's unmap paths), not from the simulator's IOMMU code.
/// </summary>
internal sealed class CampaignIotlb
{
    /// <summary>What one cached translation allows: the PTE's permissions at the time of the walk.</summary>
    private readonly record struct Cached(bool Read, bool Write);

    private readonly Dictionary<ulong, Cached> _cached = [];
    private readonly CampaignScenario _s;
    // The IOVA pages waiting in the flush queue, one entry per queued unmap (a double unmap can queue a page twice).
    private readonly List<ulong> _queue = [];

    public CampaignIotlb(CampaignScenario s) => _s = s;

    /// <summary>Times the queue was flushed by reaching its capacity and by its timer: the campaign checks both happen.</summary>
    public int CapacityFlushes { get; private set; }
    public int TimerFlushes { get; private set; }

    /// <summary>
    /// Whether an unmap invalidates at once. The campaign asks for lazy unmapping on the command line
    /// (iommu.strict=0, and intel_iommu without "strict"); from 5.15 intel_iommu_init turns a unit with
    /// CAP.CM (a virtual IOMMU, where each flush is a trap) into strict mode, earlier eras batch regardless.
    /// </summary>
    public bool Strict => _s.Mode != CampaignMode.Lazy || CachingModeStrict || UntrustedStrict;

    public bool CachingModeStrict => _s.Mode == CampaignMode.Lazy && _s.CachingMode && DmaIommuEra;

    /// <summary>
    /// An untrusted device's unmaps are never deferred from 5.4 (intel_unmap's pdev->untrusted test; from 5.15
    /// its group gets a plain DMA domain with no flush queue). 4.19 and older know no untrusted devices.
    /// </summary>
    public bool UntrustedStrict => _s.Mode == CampaignMode.Lazy && _s.Untrusted && (DmaIommuEra || _s.Profile.Name is ProfileNames.Linux54 or ProfileNames.Linux510);

    /// <summary>
    /// The flush queue's capacity: 2.6.3x/3.0 add_unmap flushes when HIGH_WATER_MARK (250) entries wait;
    /// iova.c / dma-iommu.c (4.14+) keep a ring of IOVA_FQ_SIZE 256 slots that is full at 255.
    /// </summary>
    private int Capacity => WholeRangeEra ? 250 : 255;

    /// <summary>2.6.3x and 3.0: intel_unmap_page looks the IOVA up (find_iova) and clears the whole recorded range.</summary>
    public bool WholeRangeEra => _s.Profile.Name is not (ProfileNames.Linux419 or ProfileNames.Linux54 or ProfileNames.Linux510) && !DmaIommuEra;

    /// <summary>5.15+: intel-iommu runs under dma-iommu (c588072bba6b, 5.11).</summary>
    public bool DmaIommuEra => _s.Profile.Name is ProfileNames.Linux515 or ProfileNames.Linux61 or ProfileNames.Linux66 or ProfileNames.Linux612;

    /// <summary>
    /// A DMA piece at IOVA page <paramref name="page"/>: a cached translation that permits the access
    /// decides; otherwise the unit walks the page table (<paramref name="pte"/>: the live PTE's permissions,
    /// or null when cleared) and caches what it found; a walk that finds no permission faults.
    /// </summary>
    public bool Translate(ulong page, bool write, (bool Read, bool Write)? pte)
    {
        if (Hits(page, write)) return true;
        if (pte is not { } p || !(write ? p.Write : p.Read)) return false;
        _cached[page] = new Cached(p.Read, p.Write);
        return true;
    }

    /// <summary>Whether a translation cached for IOVA page <paramref name="page"/> permits the access (then no walk happens).</summary>
    public bool Hits(ulong page, bool write) => _cached.TryGetValue(page, out var hit) && (write ? hit.Write : hit.Read);

    /// <summary>
    /// An unmap call for IOVA page <paramref name="page"/> (<paramref name="live"/>: its PTE was still
    /// present). Strict: the PTE is cleared and the page invalidated before the call returns. Lazy: the PTE is
    /// cleared and the IOVA joins the flush queue (flushed first when full) while the IOTLB keeps whatever it
    /// cached.
    /// </summary>
    public void Unmapped(ulong page, bool live)
    {
        if (Strict)
        {
            _cached.Remove(page);
            return;
        }
        if (!Queues(page, live)) return;
        if (_queue.Count == Capacity)
        {
            Flush();
            CapacityFlushes++;
        }
        _queue.Add(page);
    }

    /// <summary>
    /// Whether this era's unmap path queues the call. 2.6.3x/3.0 intel_unmap_page: only if find_iova still
    /// finds the range (live, or queued and not yet freed); else "Driver unmaps unmatched page".
    /// 4.19–5.10 intel_unmap: always (no lookup). dma-iommu: iommu_dma_unmap_page returns on a cleared PTE
    /// (WARN_ON(!phys)) before anything is queued.
    /// </summary>
    private bool Queues(ulong page, bool live) =>
        WholeRangeEra ? live || _queue.Contains(page) : !DmaIommuEra || live;

    /// <summary>
    /// Ten milliseconds pass (a Wait step; everything else in a scenario takes well under one): the timer
    /// the first queued entry armed (add_unmap's unmap_timer, 10 ms; IOVA_FQ_TIMEOUT, 10 ms) has fired.
    /// </summary>
    public void Wait()
    {
        if (_queue.Count == 0) return;
        Flush();
        TimerFlushes++;
    }

    /// <summary>The queue's flush invalidates the whole domain (a global flush in 2.6.3x/3.0, domain-selective later) and frees the queued IOVAs.</summary>
    private void Flush()
    {
        _cached.Clear();
        _queue.Clear();
    }
}
