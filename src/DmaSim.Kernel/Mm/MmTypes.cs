using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Kernel.Mm;

/// <summary>A block of 2^<paramref name="Order"/> pages handed out by the buddy allocator.</summary>
public readonly record struct PageAllocation(PhysAddr Start, int Order, ZoneType Zone)
{
    public ulong Size => PhysAddr.PageSize << Order;
    public PhysRange Range => PhysRange.FromSize(Start, Size);
}

/// <summary>Per-zone numbers for reports, in the spirit of /proc/zoneinfo and /proc/buddyinfo.</summary>
/// <param name="Zone">The zone.</param>
/// <param name="StartPfn">zone_start_pfn: first pfn of the zone's span that holds managed memory.</param>
/// <param name="EndPfn">One past the last managed pfn (the span; holes inside count in neither number below).</param>
/// <param name="ManagedPages">Pages given to the buddy allocator (boot, after reserved ranges, plus hot-added).</param>
/// <param name="FreePages">Pages currently free in the zone.</param>
/// <param name="FreeBlocksByOrder">Free blocks per order, index = order (buddyinfo).</param>
public sealed record ZoneStats(ZoneType Zone, ulong StartPfn, ulong EndPfn, ulong ManagedPages, ulong FreePages, IReadOnlyList<ulong> FreeBlocksByOrder);

/// <summary>Where boot-time (and hot-added) free blocks sit on the buddy free lists.</summary>
public enum BuddyBootPlacement
{
    /// <summary>
    /// 2.6.32: boot memory is freed in ascending pfn order and every freed or merged block is added at the
    /// head of its free list (mm/page_alloc.c __free_one_page: list_add), so the highest block of a zone
    /// is handed out first.
    /// </summary>
    HighestFirst,

    /// <summary>
    /// 5.10+: memory freed at boot and on hot-add is queued at the tail (7fef431be9c9 "mm/page_alloc: place
    /// pages to tail in __free_pages_core()", v5.10-rc1, which "reverses the order of page allocations"), so
    /// the lowest block of a zone is handed out first.
    /// </summary>
    LowestFirst,
}

/// <summary>A buddy allocation: <c>alloc_pages</c> succeeded.</summary>
public sealed record PageAllocEvent(PhysAddr Start, int Order, Gfp Gfp, ZoneType Zone, FrameOwner Owner) : SimEvent;

/// <summary>A buddy free: <c>__free_pages</c>.</summary>
public sealed record PageFreeEvent(PhysAddr Start, int Order, ZoneType Zone, FrameOwner PreviousOwner) : SimEvent;

/// <summary><c>alloc_pages</c> failed: no allowed zone had a free block of the order.</summary>
public sealed record PageAllocFailedEvent(int Order, Gfp Gfp, ZoneType HighestZone) : SimEvent;

/// <summary>
/// gfp_zone() met a zone-modifier combination that GFP_ZONE_BAD forbids. <paramref name="Bug"/> is true
/// when the model runs with CONFIG_DEBUG_VM (the kernel BUGs); otherwise the allocation went on in
/// <paramref name="UsedZone"/>.
/// </summary>
public sealed record GfpZoneBadEvent(Gfp Gfp, ZoneType UsedZone, bool Bug) : SimEvent;

/// <summary>An early (memblock/bootmem) allocation made before the buddy allocator took over.</summary>
public sealed record EarlyAllocEvent(PhysRange Range, FrameOwner Owner) : SimEvent;

/// <summary>Memory hot-add: a new range went online into a zone.</summary>
public sealed record MemoryHotAddEvent(PhysRange Range, ZoneType Zone) : SimEvent;
