using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>What a physical page is used for, so a stray DMA can say whose memory it hit.</summary>
public enum OwnerKind
{
    /// <summary>Not RAM at all (a hole in the e820 map).</summary>
    Hole,
    /// <summary>RAM the page allocator has not handed out.</summary>
    Free,
    /// <summary>Firmware-reserved (e820 reserved / ACPI / NVS).</summary>
    Firmware,
    /// <summary>Kernel image and other memory the kernel keeps for itself.</summary>
    Kernel,
    /// <summary>A kernel buffer a driver allocated (kmalloc / GFP_KERNEL pages), e.g. a streaming DMA buffer.</summary>
    KernelBuffer,
    /// <summary>A dma_alloc_coherent buffer of a device.</summary>
    CoherentBuffer,
    /// <summary>The swiotlb bounce pool.</summary>
    SwiotlbPool,
    /// <summary>VT-d root/context tables and page tables.</summary>
    VtdTable,
    /// <summary>A BIOS RMRR range, used by firmware DMA.</summary>
    Rmrr,
}

/// <summary>An owner tag: kind, the device it belongs to (if any) and a label (buffer name).</summary>
public sealed record FrameOwner(OwnerKind Kind, string? Device = null, string? Label = null)
{
    public static readonly FrameOwner Hole = new(OwnerKind.Hole);
    public static readonly FrameOwner Free = new(OwnerKind.Free);

    public override string ToString() => Kind switch
    {
        OwnerKind.Hole => "no RAM (hole)",
        OwnerKind.Free => "free RAM",
        OwnerKind.Firmware => "firmware-reserved memory" + (Label is null ? "" : $" ({Label})"),
        OwnerKind.Kernel => "kernel memory" + (Label is null ? "" : $" ({Label})"),
        OwnerKind.KernelBuffer => $"kernel buffer{(Label is null ? "" : " " + Label)}{(Device is null ? "" : " of " + Device)}",
        OwnerKind.CoherentBuffer => $"coherent buffer{(Label is null ? "" : " " + Label)}{(Device is null ? "" : " of " + Device)}",
        OwnerKind.SwiotlbPool => "swiotlb bounce pool",
        OwnerKind.VtdTable => "VT-d translation table" + (Label is null ? "" : $" ({Label})"),
        OwnerKind.Rmrr => "RMRR" + (Device is null ? "" : " of " + Device),
        _ => Kind.ToString(),
    };
}

/// <summary>
/// Owner of every physical page, kept as non-overlapping runs of pfns (an interval map) so a 16 TiB
/// machine costs one entry per run, not per page. Untagged pages are holes.
/// </summary>
public sealed class FrameOwners
{
    // start pfn -> (end pfn inclusive, owner); runs never overlap.
    private readonly SortedList<ulong, (ulong End, FrameOwner Owner)> _runs = [];
    // The run the last look-up found (the pages of one DMA lie in one buffer); empty when first > last.
    private ulong _hitFirst = 1, _hitLast;
    private FrameOwner _hitOwner = FrameOwner.Hole;

    public int RunCount => _runs.Count;

    public FrameOwner OwnerOf(PhysAddr a) => OwnerOfPfn(a.Pfn);

    public FrameOwner OwnerOfPfn(ulong pfn)
    {
        if (pfn >= _hitFirst && pfn <= _hitLast) return _hitOwner;
        var i = FloorIndex(pfn);
        if (i < 0) return FrameOwner.Hole;
        var (end, owner) = _runs.Values[i];
        if (pfn > end) return FrameOwner.Hole;
        (_hitFirst, _hitLast, _hitOwner) = (_runs.Keys[i], end, owner);
        return owner;
    }

    /// <summary>Tag every page that the byte range touches.</summary>
    public void Assign(PhysRange range, FrameOwner owner) => AssignPfns(range.Start.Pfn, range.End.Pfn, owner);

    public void AssignPfns(ulong first, ulong last, FrameOwner owner)
    {
        if (last < first) throw new ArgumentException("empty pfn range");
        (_hitFirst, _hitLast) = (1, 0);
        Cut(first);
        if (last != ulong.MaxValue) Cut(last + 1);
        // remove runs fully inside [first, last]
        var i = FloorIndex(first);
        if (i < 0 || _runs.Keys[i] < first) i++;
        while (i < _runs.Count && _runs.Keys[i] <= last) _runs.RemoveAt(i);
        _runs[first] = (last, owner);
        Merge(first);
    }

    /// <summary>The runs that intersect a pfn range, clipped to it.</summary>
    public IEnumerable<(ulong First, ulong Last, FrameOwner Owner)> RunsIn(ulong first, ulong last)
    {
        var i = FloorIndex(first);
        if (i < 0) i = 0;
        for (; i < _runs.Count && _runs.Keys[i] <= last; i++)
        {
            var start = _runs.Keys[i];
            var (end, owner) = _runs.Values[i];
            if (end < first) continue;
            yield return (Math.Max(start, first), Math.Min(end, last), owner);
        }
    }

    private int FloorIndex(ulong pfn)
    {
        var keys = _runs.Keys;
        int lo = 0, hi = keys.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (keys[mid] <= pfn) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    // Split the run containing pfn so that a run starts exactly at pfn.
    private void Cut(ulong pfn)
    {
        var i = FloorIndex(pfn);
        if (i < 0) return;
        var start = _runs.Keys[i];
        var (end, owner) = _runs.Values[i];
        if (start == pfn || end < pfn) return;
        _runs[start] = (pfn - 1, owner);
        _runs[pfn] = (end, owner);
    }

    // Join the run at pfn with equal-owner neighbours so the map stays small.
    private void Merge(ulong pfn)
    {
        var i = _runs.IndexOfKey(pfn);
        if (i + 1 < _runs.Count)
        {
            var (end, owner) = _runs.Values[i];
            var nextStart = _runs.Keys[i + 1];
            var (nextEnd, nextOwner) = _runs.Values[i + 1];
            if (end + 1 == nextStart && Equals(owner, nextOwner))
            {
                _runs.RemoveAt(i + 1);
                _runs[pfn] = (nextEnd, owner);
            }
        }
        if (i > 0)
        {
            var prevStart = _runs.Keys[i - 1];
            var (prevEnd, prevOwner) = _runs.Values[i - 1];
            var (end, owner) = _runs.Values[i];
            if (prevEnd + 1 == pfn && Equals(prevOwner, owner))
            {
                _runs.RemoveAt(i);
                _runs[prevStart] = (end, owner);
            }
        }
    }
}
