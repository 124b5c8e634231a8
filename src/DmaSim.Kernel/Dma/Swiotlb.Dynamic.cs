using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// CONFIG_SWIOTLB_DYNAMIC (6.6, "swiotlb: allow dynamic allocation of bounce buffers" and its series,
/// kernel/dma/swiotlb.c as of 6.6): when no pool has room, swiotlb_find_slots schedules the dyn_alloc work
/// that adds another pool to the default io_tlb_mem, and serves the request at once from a transient pool
/// of exactly the slots it needs, allocated from the page allocator below the device's DMA limit
/// (GFP_NOWAIT) and freed when the mapping is unmapped (swiotlb_del_transient).
/// </summary>
public sealed partial class Swiotlb
{
    /// <summary>
    /// MAX_ORDER (6.4+, inclusive): the largest buddy block, 4 MiB. A pool the dyn_alloc work adds is at
    /// most this big (d5090484b021 "swiotlb: do not try to allocate a TLB bigger than MAX_ORDER pages",
    /// dma-mapping-6.6-2023-10-28, in 6.6 before release).
    /// </summary>
    private const int BuddyMaxOrder = PageAllocator.MaxOrder - 1;

    /// <summary>x86's ARCH_LOW_ADDRESS_LIMIT: the default io_tlb_mem's phys_limit (pools below 4 GiB).</summary>
    private const ulong ArchLowAddressLimit = 0xffffffff;

    /// <summary>zone_dma_bits on x86: 24 (ZONE_DMA is the first 16 MiB).</summary>
    private const ulong ZoneDmaLimit = (1UL << 24) - 1;

    private readonly List<SwiotlbPool> _grown = [];
    private readonly List<SwiotlbPool> _transient = [];
    private bool _growPending;

    /// <summary>Pools the dyn_alloc work added to the boot pool.</summary>
    public int AddedPools => _grown.Count;

    /// <summary>Transient pools alive now, one per live mapping that found no room.</summary>
    public int TransientPools => _transient.Count;

    private int GrownSlots
    {
        get
        {
            var n = 0;
            foreach (var p in _grown) n += p.TotalSlots;
            return n;
        }
    }

    private int DynamicUsedSlots
    {
        get
        {
            var n = 0;
            foreach (var p in _grown) n += p.UsedSlots;
            foreach (var p in _transient) n += p.UsedSlots;
            return n;
        }
    }

    private SwiotlbPool? DynamicPoolOf(PhysAddr address)
    {
        foreach (var p in _grown)
            if (p.Range.Contains(address)) return p;
        foreach (var p in _transient)
            if (p.Range.Contains(address)) return p;
        return null;
    }

    // swiotlb_find_slots: every pool of the io_tlb_mem in the order they joined; then, if it can grow,
    // the dyn_alloc work is scheduled and a transient pool serves this request.
    private (SwiotlbPool? Pool, int Index) FindSlots(SlotSearch search, ulong physLimit)
    {
        var index = search.In(_boot, _config.Cpu);
        if (index >= 0) return (_boot, index);
        foreach (var pool in _grown)
        {
            index = search.In(pool, _config.Cpu);
            if (index >= 0) return (pool, index);
        }
        if (!_config.Dynamic) return (null, -1);
        _growPending = true;
        return AllocTransient(search, physLimit);
    }

    // The transient pool: nslabs = nr_slots(alloc_size), one area, phys_limit = min_not_zero(*dev->dma_mask,
    // dev->bus_dma_limit) — x86 PCI devices have no bus limit — then the same area search in it.
    private (SwiotlbPool? Pool, int Index) AllocTransient(SlotSearch search, ulong physLimit)
    {
        var bytes = (ulong)search.Slots << IoTlbShift;
        if (AllocTlb(bytes, physLimit, Gfp.Atomic | Gfp.NoWarn, "transient pool") is not { } pages) return (null, -1);
        var pool = new SwiotlbPool(PhysRange.FromSize(pages.Start, bytes), areas: 1, pages.Order, transient: true);
        var index = search.In(pool, 0);
        if (index < 0)
        {
            _allocator.FreePages(pages.Start, pages.Order);
            return (null, -1);
        }
        _transient.Add(pool);
        return (pool, index);
    }

    // swiotlb_del_transient: the whole pool goes back to the page allocator with its one mapping.
    private void FreeTransient(SwiotlbPool pool)
    {
        _transient.Remove(pool);
        _allocator.FreePages(pool.Range.Start, pool.PageOrder);
    }

    /// <summary>
    /// swiotlb_dyn_alloc, the work the last failed search scheduled: a pool of the boot pool's slot count
    /// (at most a MAX_ORDER block), halved down to IO_TLB_MIN_SLABS while the page allocator cannot serve it,
    /// below ARCH_LOW_ADDRESS_LIMIT, GFP_KERNEL. The simulated kernel runs the work before the next map — the
    /// workqueue runs it "soon", and nothing else in the model can observe when.
    /// </summary>
    private void RunPendingGrowth()
    {
        if (!_growPending) return;
        _growPending = false;
        var nslabs = Math.Min(_boot.TotalSlots, (int)(PageSize >> IoTlbShift) << BuddyMaxOrder);
        while (true)
        {
            var bytes = (ulong)nslabs << IoTlbShift;
            if (AllocTlb(bytes, ArchLowAddressLimit, Gfp.Kernel, "pool") is { } pages)
            {
                _grown.Add(new SwiotlbPool(PhysRange.FromSize(pages.Start, bytes), LimitAreas(_boot.Areas, nslabs), pages.Order));
                return;
            }
            if (nslabs <= IoTlbMinSlabs)
            {
                _events.Log("software IO TLB: Failed to allocate new pool");
                return;
            }
            nslabs = AlignUp(nslabs >> 1, IoTlbSegSize);
        }
    }

    // limit_nareas: no more areas than whole segments (both stay powers of two here).
    private static int LimitAreas(int areas, int nslabs)
    {
        while (areas > 1 && nslabs < areas * IoTlbSegSize) areas >>= 1;
        return areas;
    }

    /// <summary>
    /// swiotlb_alloc_tlb: pages from the zone the limit implies (DMA below 16 MiB, DMA32 below 4 GiB); a block
    /// that ends above the limit goes back and the next lower zone is tried; none left → null.
    /// </summary>
    private PageAllocation? AllocTlb(ulong bytes, ulong physLimit, Gfp gfp, string label)
    {
        var order = PageAllocator.GetOrder(bytes);
        var zone = physLimit <= ZoneDmaLimit ? Gfp.Dma : physLimit <= ArchLowAddressLimit ? Gfp.Dma32 : 0;
        var owner = new FrameOwner(OwnerKind.SwiotlbPool, Label: label);
        while (true)
        {
            if (_allocator.AllocPages(order, gfp | zone, owner) is not { } pages) return null;
            if (pages.Start.Value + bytes - 1 <= physLimit) return pages;
            _allocator.FreePages(pages.Start, order);
            if (zone == 0 && physLimit < ulong.MaxValue) zone = Gfp.Dma32;
            else if (zone != Gfp.Dma) zone = Gfp.Dma;
            else return null;
        }
    }
}
