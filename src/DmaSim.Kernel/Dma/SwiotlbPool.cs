using System.Numerics;
using DmaSim.Core;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// One io_tlb_pool: a physically contiguous run of 2 KiB slots cut into areas, with the kernel's slot
/// bookkeeping — per slot a <c>list</c> value (free slots from here to the end of the 128-slot segment,
/// 0 when taken), the original address and the bytes left in the allocation. The boot pool is one of
/// these; with CONFIG_SWIOTLB_DYNAMIC (6.6+) the pools the kernel adds later are too (kernel/dma/swiotlb.c
/// struct io_tlb_pool, swiotlb_init_io_tlb_pool, swiotlb_search_pool_area, swiotlb_release_slots).
/// </summary>
internal sealed class SwiotlbPool
{
    private const ulong InvalidOrig = ulong.MaxValue;
    private const int SegSize = Swiotlb.IoTlbSegSize;
    private const int Shift = Swiotlb.IoTlbShift;

    private readonly SlotTable _slots;
    private readonly int[] _areaIndex;
    private readonly int[] _areaUsed;
    private readonly int _areaSlabs;

    /// <param name="range">The pool's bytes.</param>
    /// <param name="areas">Areas (a power of two dividing the slot count).</param>
    /// <param name="pageOrder">The buddy order the pool's pages came from, or -1 for the boot pool (memblock).</param>
    /// <param name="transient">A pool made for one mapping and freed with it (swiotlb_find_slots' fallback).</param>
    public SwiotlbPool(PhysRange range, int areas, int pageOrder = -1, bool transient = false)
    {
        Range = range;
        TotalSlots = (int)(range.Size >> Shift);
        PageOrder = pageOrder;
        Transient = transient;
        _slots = new SlotTable(TotalSlots);
        _areaIndex = new int[areas];
        _areaUsed = new int[areas];
        _areaSlabs = TotalSlots / areas;
    }

    public PhysRange Range { get; }
    public int TotalSlots { get; }
    public int PageOrder { get; }
    public bool Transient { get; }
    public int Areas => _areaIndex.Length;

    public int UsedSlots
    {
        get
        {
            var used = 0;
            foreach (var u in _areaUsed) used += u;
            return used;
        }
    }

    public int IndexOf(PhysAddr address) => (int)((address.Value - Range.Start.Value) >> Shift);
    public PhysAddr SlotAddr(int index) => Range.Start.Add((ulong)index << Shift);
    public int List(int index) => _slots.List(index);
    public ulong AllocSize(int index) => _slots.AllocSize(index);

    /// <summary>The original address recorded for a slot, or null when the slot is free.</summary>
    public ulong? Orig(int index) => _slots.Orig(index) is var o && o != InvalidOrig ? o : null;

    /// <summary>
    /// swiotlb_pool_find_slots: every area once, starting with the CPU's (raw_smp_processor_id() &amp; (nareas - 1)).
    /// Returns the slot index or -1.
    /// </summary>
    public int Find(int cpu, int nslots, int stride, ulong allocAlignMask, ulong iotlbAlignMask, ulong orig)
    {
        var area = cpu & (Areas - 1);
        for (var n = 0; n < Areas; n++)
        {
            var index = SearchArea(area, nslots, stride, allocAlignMask, iotlbAlignMask, orig);
            if (index >= 0)
            {
                Take(index, nslots, area);
                return index;
            }
            if (++area >= Areas) area = 0;
        }
        return -1;
    }

    // One area's search, index relative to the area (swiotlb_search_pool_area).
    private int SearchArea(int area, int nslots, int stride, ulong allocAlignMask, ulong iotlbAlignMask, ulong orig)
    {
        if (nslots > _areaSlabs - _areaUsed[area]) return -1;
        var slotBase = area * _areaSlabs;
        var index = _areaIndex[area];
        for (var checkedSlots = 0; checkedSlots < _areaSlabs;)
        {
            var slot = slotBase + index;
            var tlbAddr = Range.Start.Value + ((ulong)slot << Shift);
            if ((tlbAddr & allocAlignMask) != 0 || (orig != 0 && (tlbAddr & iotlbAlignMask) != (orig & iotlbAlignMask)))
            {
                index = WrapArea(index + 1);
                checkedSlots++;
                continue;
            }
            if (_slots.List(slot) >= nslots)
            {
                _areaIndex[area] = WrapArea(index + nslots);
                return slot;
            }
            index = WrapArea(index + stride);
            checkedSlots += stride;
        }
        return -1;
    }

    // wrap_area_index: past the end goes back to 0 (not modulo).
    private int WrapArea(int index) => index >= _areaSlabs ? 0 : index;

    /// <summary>
    /// Mark nslots taken from index and renumber the free run before it inside the segment; the caller
    /// then records sizes and originals with <see cref="Record"/>.
    /// </summary>
    public void Take(int index, int nslots, int area)
    {
        var offset = index % SegSize;
        if (offset + nslots <= SegSize)
        {
            // The same writes on the segment's own array (a run never leaves its segment): the loops below
            // looked the segment up once per slot, which was most of a bounce's bookkeeping.
            var list = _slots.ListOf(index).AsSpan();
            list.Slice(offset, nslots).Clear();
            RenumberFreeRunBefore(list, offset, 0);
            _areaUsed[area] += nslots;
            return;
        }
        for (var i = index; i < index + nslots; i++) _slots.SetList(i, 0);
        var count = 0;
        for (var i = index - 1; i >= 0 && i % SegSize != SegSize - 1 && _slots.List(i) != 0; i--) _slots.SetList(i, ++count);
        _areaUsed[area] += nslots;
    }

    /// <summary>
    /// Per slot the original address and the bytes left in the allocation, counted from the slot start (the
    /// kernel counts from the mapping start and adds the min_align_mask offset back when it needs slot
    /// counts; the two bookkeepings agree).
    /// </summary>
    public void Record(int index, int nslots, ulong allocSize, ulong orig)
    {
        if (index % SegSize + nslots <= SegSize)
        {
            _slots.RecordRun(index, nslots, allocSize, orig);
            return;
        }
        for (var i = 0; i < nslots; i++)
        {
            _slots.SetAllocSize(index + i, allocSize - ((ulong)i << Shift));
            _slots.SetOrig(index + i, orig + ((ulong)i << Shift));
        }
    }

    /// <summary>True when a taken slot starts a mapping (not a free slot, not the middle of one).</summary>
    public bool StartsMapping(int index, PhysAddr address)
    {
        if (_slots.List(index) != 0 || _slots.Orig(index) == InvalidOrig) return false;
        return !(index > 0 && _slots.List(index - 1) == 0 && _slots.AllocSize(index - 1) == _slots.AllocSize(index) + Swiotlb.IoTlbSize
            && (address.Value & (Swiotlb.IoTlbSize - 1)) == 0);
    }

    /// <summary>swiotlb_release_slots: free nslots from index and renumber the free runs around them.</summary>
    public void Release(int index, int nslots)
    {
        nslots = Math.Min(nslots, TotalSlots - index);
        if (index % SegSize + nslots < SegSize)
        {
            ReleaseInSegment(index, nslots);
            return;
        }
        var count = index + nslots < AlignUp(index + 1, SegSize) ? _slots.List(index + nslots) : 0;
        for (var i = index + nslots - 1; i >= index; i--)
        {
            _slots.SetList(i, ++count);
            _slots.Free(i);
        }
        for (var i = index - 1; i >= 0 && i % SegSize != SegSize - 1 && _slots.List(i) != 0; i--) _slots.SetList(i, ++count);
        _areaUsed[index / _areaSlabs] -= nslots;
    }

    // Release when the slot after the run is in the same segment: the same values as the general loop, on the
    // segment's arrays directly.
    private void ReleaseInSegment(int index, int nslots)
    {
        var offset = index % SegSize;
        var list = _slots.ListOf(index).AsSpan();
        var count = list[offset + nslots];
        for (var j = offset + nslots - 1; j >= offset; j--) list[j] = ++count;
        _slots.FreeRun(index, nslots);
        RenumberFreeRunBefore(list, offset, count);
        _areaUsed[index / _areaSlabs] -= nslots;
    }

    /// <summary>
    /// The kernel's backward renumbering inside one segment (from <paramref name="end"/> − 1 down, list[j] =
    /// ++count while list[j] != 0: swiotlb_area_find_slots and swiotlb_release_slots), in two vectorised steps:
    /// find where the free run starts, then write count + 1, count + 2, … from its end. With next-fit the run
    /// is half a segment on average, so the slot-by-slot loop was ~60 iterations per map and per unmap.
    /// </summary>
    private static void RenumberFreeRunBefore(Span<int> list, int end, int count)
    {
        var run = list[(list[..end].LastIndexOf(0) + 1)..end];
        var top = count + run.Length; // run[k] = top − k
        var k = 0;
        if (Vector.IsHardwareAccelerated && run.Length >= Vector<int>.Count)
        {
            var values = new Vector<int>(top) - Vector<int>.Indices;
            var step = new Vector<int>(Vector<int>.Count);
            for (; k <= run.Length - Vector<int>.Count; k += Vector<int>.Count)
            {
                values.CopyTo(run[k..]);
                values -= step;
            }
        }
        for (; k < run.Length; k++) run[k] = top - k;
    }

    private static int AlignUp(int v, int a) => (v + a - 1) / a * a;

    /// <summary>
    /// The per-slot arrays, held per IO_TLB_SEGSIZE segment and made real the first time a slot of the
    /// segment changes: a segment nobody touched reads as the initial layout of swiotlb_init_io_tlb_pool
    /// (list[i] = IO_TLB_SEGSIZE - i mod IO_TLB_SEGSIZE, orig_addr invalid, alloc_size 0). A 64 MiB pool has
    /// 32,768 slots; a boot that bounces nothing lays out none of them.
    /// </summary>
    private sealed class SlotTable(int totalSlots)
    {
        private readonly Segment?[] _segments = new Segment?[(totalSlots + SegSize - 1) / SegSize];

        public int List(int i) => _segments[i / SegSize] is { } s ? s.List[i % SegSize] : SegSize - (i % SegSize);
        public ulong Orig(int i) => _segments[i / SegSize] is { } s ? s.Orig[i % SegSize] : InvalidOrig;
        public ulong AllocSize(int i) => _segments[i / SegSize] is { } s ? s.AllocSize[i % SegSize] : 0;

        public void SetList(int i, int v) => Of(i).List[i % SegSize] = v;
        public void SetOrig(int i, ulong v) => Of(i).Orig[i % SegSize] = v;
        public void SetAllocSize(int i, ulong v) => Of(i).AllocSize[i % SegSize] = v;

        /// <summary>The list array of the segment holding slot i (made real if it was not).</summary>
        public int[] ListOf(int i) => Of(i).List;

        /// <summary><see cref="SwiotlbPool.Record"/> for n slots from i, all in i's segment.</summary>
        public void RecordRun(int i, int n, ulong allocSize, ulong orig)
        {
            var s = Of(i);
            var at = i % SegSize;
            for (var k = 0; k < n; k++)
            {
                s.AllocSize[at + k] = allocSize - ((ulong)k << Shift);
                s.Orig[at + k] = orig + ((ulong)k << Shift);
            }
        }

        /// <summary><see cref="Free"/> of n slots from i, all in i's segment.</summary>
        public void FreeRun(int i, int n)
        {
            var s = Of(i);
            s.Orig.AsSpan(i % SegSize, n).Fill(InvalidOrig);
            s.AllocSize.AsSpan(i % SegSize, n).Clear();
        }

        public void Free(int i)
        {
            var s = Of(i);
            s.Orig[i % SegSize] = InvalidOrig;
            s.AllocSize[i % SegSize] = 0;
        }

        private Segment Of(int i) => _segments[i / SegSize] ??= new Segment();

        private sealed class Segment
        {
            public readonly int[] List = new int[SegSize];
            public readonly ulong[] Orig = new ulong[SegSize];
            public readonly ulong[] AllocSize = new ulong[SegSize];

            public Segment()
            {
                for (var i = 0; i < SegSize; i++)
                {
                    List[i] = SegSize - i;
                    Orig[i] = InvalidOrig;
                }
            }
        }
    }
}
