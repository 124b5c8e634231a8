using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// Lazy unmap: freed IOVAs wait for an IOTLB flush before they can be reused. 2.6.3x (add_unmap /
/// flush_unmaps): 250 pending entries (HIGH_WATER_MARK) or a 10 ms timer, then one global IOTLB flush
/// per unit. Modern dma-iommu flush queue: a 256-slot ring per CPU (255 entries) or 10 ms, then a domain-selective flush
/// (drivers/iommu/dma-iommu.c queue_iova / fq_flush_timeout).
/// </summary>
public sealed class DeferredUnmaps
{
    private const ulong TimeoutNs = 10_000_000;
    private readonly KernelContext _k;
    private readonly IntelIommu _iommu;
    // Plain values, not a closure per unmap: the lazy path queues one entry per dma_unmap (issue 13).
    private readonly List<(DmaDomain Domain, ulong Pfn, ulong Pages, IovaRelease How)> _pending = [];
    // The distinct domains of _pending, in first-queued order.
    private readonly List<DmaDomain> _flushDomains = [];
    private ulong _deadline = ulong.MaxValue;

    public DeferredUnmaps(KernelContext kernel, IntelIommu iommu)
    {
        _k = kernel;
        _iommu = iommu;
    }

    /// <summary>HIGH_WATER_MARK (250) in 2.6.3x; a ring of IOVA_FQ_SIZE (256) slots that is full at 255 in modern kernels (<see cref="KernelProfile.LazyUnmapQueueCapacity"/>).</summary>
    public int HighWaterMark => _k.Profile.LazyUnmapQueueCapacity.Value;

    public int Pending => _pending.Count;
    public ulong Flushes { get; private set; }

    /// <summary>How a queued range goes back to the domain's allocator once the IOTLB is flushed.</summary>
    public enum IovaRelease
    {
        /// <summary>free_iova_fast(pfn, pages): the dma-iommu flush queue (fq_ring_free).</summary>
        FreeFast,
        /// <summary>__free_iova of the range starting at pfn: 2.6.3x flush_unmaps.</summary>
        FreeRange,
    }

    /// <summary>Queues the release of an unmapped IOVA range until the next flush.</summary>
    public void Add(DmaDomain domain, ulong pfn, ulong pages, IovaRelease how)
    {
        Poll();
        if (_pending.Count >= HighWaterMark) Flush();
        _pending.Add((domain, pfn, pages, how));
        // Each queued domain once, in first-queued order; the check of the last one answers nearly every call.
        if ((_flushDomains.Count == 0 || _flushDomains[^1] != domain) && !_flushDomains.Contains(domain)) _flushDomains.Add(domain);
        if (_deadline == ulong.MaxValue) _deadline = _k.Clock.NowNs + TimeoutNs;
    }

    /// <summary>The timer: checked on every DMA API entry and between workload steps (<see cref="Boot.LinuxKernel.RunExpiredTimers"/>), since simulated time only moves between them.</summary>
    public void Poll()
    {
        if (_pending.Count > 0 && _k.Clock.NowNs >= _deadline) Flush();
    }

    public void Flush()
    {
        if (_pending.Count == 0) return;
        Flushes++;
        if (_k.Profile.FlushQueue.Value == FlushQueue.PerDomainFlushQueue)
        {
            foreach (var d in _flushDomains)
                foreach (var (unit, did) in d.Dids) unit.Hw.FlushIotlbDomain(did);
        }
        else
        {
            foreach (var unit in _iommu.ActiveUnits) unit.Hw.FlushIotlbGlobal();
        }
        foreach (var (domain, pfn, pages, how) in _pending)
        {
            if (how == IovaRelease.FreeFast) domain.Iova.FreeIovaFast(pfn, pages);
            else domain.Iova.FreeIova(pfn);
        }
        _pending.Clear();
        _flushDomains.Clear();
        _deadline = ulong.MaxValue;
    }
}
