using System.Numerics;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// A plain re-statement of the 2009 <c>drivers/pci/iova.c</c> loop (<c>__get_cached_rbnode</c>,
/// <c>iova_get_pad_size</c>, the move_left / adjust_limit_pfn walk) over a sorted list, no anchor.
/// </summary>
internal sealed class NaiveLinux2632Iova(ulong dma32PfnInclusive)
{
    private const ulong IovaStartPfn = 1;
    private readonly List<ulong> _lo = [];
    private readonly List<ulong> _hi = [];
    private ulong? _cached32;

    public ulong? Cached32Lo => _cached32;

    public IEnumerable<(ulong Lo, ulong Hi)> Ranges() => _lo.Select((lo, i) => (lo, _hi[i]));

    private static ulong Pad(ulong size, ulong limit)
    {
        var order = BitOperations.Log2(size);
        return order == 0 ? 0 : (limit + 1) % (1UL << order);
    }

    public (ulong Lo, ulong Hi)? Alloc(ulong size, ulong limit, bool aligned)
    {
        if (aligned) size = BitOperations.RoundUpToPowerOf2(size);
        var saved = limit;
        int curr;
        if (limit != dma32PfnInclusive || _cached32 is null)
        {
            curr = _lo.Count - 1;
        }
        else
        {
            var c = _lo.BinarySearch(_cached32.Value);
            limit = _lo[c] - 1;
            curr = c - 1;
        }
        ulong pad = 0;
        for (; curr >= 0; curr--)
        {
            if (limit < _lo[curr]) continue;
            if (limit >= _hi[curr])
            {
                if (aligned) pad = Pad(size, limit);
                if (_hi[curr] + size + pad <= limit) break;
            }
            limit = _lo[curr] - 1;
        }
        if (curr < 0)
        {
            if (aligned) pad = Pad(size, limit);
            if (IovaStartPfn + size + pad > limit) return null;
        }
        var lo = limit - (size + pad) + 1;
        var at = ~_lo.BinarySearch(lo);
        _lo.Insert(at, lo);
        _hi.Insert(at, lo + size - 1);
        if (saved == dma32PfnInclusive) _cached32 = lo;
        return (lo, lo + size - 1);
    }

    public void Free(ulong lo)
    {
        var i = _lo.BinarySearch(lo);
        if (_cached32 is { } c && lo >= c)
            _cached32 = i + 1 < _lo.Count && _lo[i + 1] < dma32PfnInclusive ? _lo[i + 1] : null;
        _lo.RemoveAt(i);
        _hi.RemoveAt(i);
    }
}
