using System.Numerics;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>
/// A deliberately plain re-statement of Linux 6.12's <c>__alloc_and_insert_iova_range</c>: a sorted list
/// walked one node at a time exactly as the kernel's rb_prev loop does, cached nodes remembered by their
/// pfn_lo. The fast allocator must agree with it on every call. Written from the behaviour, not the code.
/// </summary>
internal sealed class NaiveLinuxIova
{
    private const ulong Anchor = ulong.MaxValue;
    private readonly List<ulong> _lo = [Anchor];
    private readonly List<ulong> _hi = [Anchor];
    private readonly ulong _start;
    private ulong _cachedKey = Anchor;
    private ulong _cached32Key = Anchor;

    private readonly bool _hasMax32;
    private readonly bool _hasRetry;

    /// <summary>A model of the rbtree-era allocator; <paramref name="era"/> picks max32_alloc_size (5.1) and the retry pass (5.11).</summary>
    public NaiveLinuxIova(ulong startPfn, ulong dma32Pfn, IovaAlgorithm era = IovaAlgorithm.Modern)
    {
        _hasMax32 = era is IovaAlgorithm.Modern or IovaAlgorithm.Linux51;
        _hasRetry = era == IovaAlgorithm.Modern;
        _start = startPfn;
        Dma32 = dma32Pfn;
        Max32 = dma32Pfn;
    }

    public ulong Dma32 { get; }
    public ulong Max32 { get; private set; }
    public ulong? CachedLo => _cachedKey == Anchor ? null : _cachedKey;
    public ulong? Cached32Lo => _cached32Key == Anchor ? null : _cached32Key;
    public int Count => _lo.Count - 1;

    public IEnumerable<(ulong Lo, ulong Hi)> Ranges() => _lo.Take(_lo.Count - 1).Select((lo, i) => (lo, _hi[i]));

    private int Index(ulong key) => _lo.BinarySearch(key);

    public (ulong Lo, ulong Hi)? Alloc(ulong size, ulong limitInclusive, bool aligned)
    {
        var limit = limitInclusive + 1;
        var mask = aligned ? ~0UL << (64 - BitOperations.LeadingZeroCount(size - 1)) : ~0UL;
        ulong high = limit, low = _start;
        if (_hasMax32 && limit <= Dma32 && size >= Max32) return null;
        var curr = Index(limit <= Dma32 ? _cached32Key : _cachedKey);
        var retry = _hi[curr];
        ulong candidate;
        while (true)
        {
            do
            {
                high = Math.Min(high, _lo[curr]);
                candidate = (high - size) & mask;
                curr--;
            } while (curr >= 0 && candidate <= _hi[curr] && candidate >= low);

            if (high >= size && candidate >= low) break;
            if (_hasRetry && low == _start && retry < limit)
            {
                high = limit;
                low = retry + 1;
                curr = limit > Dma32 ? _lo.Count - 1 : _hi.FindIndex(h => h >= limit);
                continue;
            }
            if (_hasMax32) Max32 = size;
            return null;
        }
        Insert(candidate, candidate + size - 1);
        if (candidate + size - 1 < Dma32) _cached32Key = candidate;
        else _cachedKey = candidate;
        return (candidate, candidate + size - 1);
    }

    private void Insert(ulong lo, ulong hi)
    {
        var at = ~Index(lo);
        _lo.Insert(at, lo);
        _hi.Insert(at, hi);
    }

    public (ulong Lo, ulong Hi)? Find(ulong pfn)
    {
        for (var i = 0; i < _lo.Count - 1; i++)
            if (_lo[i] <= pfn && pfn <= _hi[i]) return (_lo[i], _hi[i]);
        return null;
    }

    public void Free(ulong lo)
    {
        var i = Index(lo);
        var hi = _hi[i];
        var next = _lo[i + 1];
        if (lo == _cached32Key || (hi < Dma32 && lo >= _cached32Key)) _cached32Key = next;
        if (lo < Dma32) Max32 = Dma32;
        if (lo >= _cachedKey) _cachedKey = next;
        _lo.RemoveAt(i);
        _hi.RemoveAt(i);
    }

    public (ulong Lo, ulong Hi) Reserve(ulong lo, ulong hi)
    {
        var overlap = false;
        for (var i = 0; i < _lo.Count - 1; i++)
        {
            if (lo <= _hi[i] && hi >= _lo[i])
            {
                if (lo < _lo[i])
                {
                    // A cached key follows its node when the node grows downwards.
                    if (_cachedKey == _lo[i]) _cachedKey = lo;
                    if (_cached32Key == _lo[i]) _cached32Key = lo;
                    _lo[i] = lo;
                }
                if (hi > _hi[i]) lo = _hi[i] + 1;
                if (lo >= _lo[i] && hi <= _hi[i]) return (_lo[i], _hi[i]);
                overlap = true;
            }
            else if (overlap)
            {
                break;
            }
        }
        Insert(lo, hi);
        return (lo, hi);
    }
}
