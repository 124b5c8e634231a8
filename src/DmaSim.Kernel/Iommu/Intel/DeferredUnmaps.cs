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
    private readonly List<(DmarDomain Domain, Action Release)> _pending = [];
    private ulong _deadline = ulong.MaxValue;

    public DeferredUnmaps(KernelContext kernel, IntelIommu iommu)
    {
        _k = kernel;
        _iommu = iommu;
    }

    /// <summary>HIGH_WATER_MARK (250) in 2.6.3x; a ring of IOVA_FQ_SIZE (256) slots that is full at 255 in modern kernels.</summary>
    public int HighWaterMark => _k.Profile.LazyUnmapQueueCapacity.Value;

    public int Pending => _pending.Count;
    public ulong Flushes { get; private set; }

    /// <summary>Queues the release of an unmapped IOVA range until the next flush.</summary>
    public void Add(DmarDomain domain, Action release)
    {
        Poll();
        if (_pending.Count >= HighWaterMark) Flush();
        _pending.Add((domain, release));
        if (_deadline == ulong.MaxValue) _deadline = _k.Clock.NowNs + TimeoutNs;
    }

    /// <summary>The timer: called on every DMA API entry, since simulated time only moves between calls.</summary>
    public void Poll()
    {
        if (_pending.Count > 0 && _k.Clock.NowNs >= _deadline) Flush();
    }

    public void Flush()
    {
        if (_pending.Count == 0) return;
        Flushes++;
        if (_k.Profile.IsModern)
        {
            foreach (var d in _pending.Select(p => p.Domain).Distinct())
                foreach (var (unit, did) in d.Dids) unit.Hw.FlushIotlbDomain(did);
        }
        else
        {
            foreach (var unit in _iommu.Units) unit.Hw.FlushIotlbGlobal();
        }
        foreach (var (_, release) in _pending) release();
        _pending.Clear();
        _deadline = ulong.MaxValue;
    }
}
