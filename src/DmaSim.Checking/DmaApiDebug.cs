using System.Runtime.CompilerServices;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Checking;

/// <summary>
/// CONFIG_DMA_API_DEBUG (kernel/dma/debug.c, 6.1; lib/dma-debug.c in 2.6.3x/3.0): one entry per live
/// mapping or coherent allocation, matched on unmap/free exactly by (device, DMA address) with the
/// kernel's best fit, and on sync by containment. Every error is a finding (error_count); like
/// err_printk with the default num_errors=1 only the first is printed. Which checks exist and how the
/// message is prefixed is the profile's <see cref="KernelProfile.DmaDebug"/> rule. These are the
/// kernel's view of driver misuse; they never change a device's outcome.
/// </summary>
public sealed class DmaApiDebug : IDmaApiDebugHook
{
    private readonly DmaDebugChecks _checks;
    private readonly Func<string, string> _deviceString;
    private readonly Action<Finding> _report;
    private readonly Action<string> _log;
    // dma_entry_hash: the buckets that ever held an entry, by bucket number (hash_fn of the DMA address); each
    // bucket a list in insertion order, as add_dma_entry appends with list_add_tail.
    private readonly Dictionary<ulong, DebugBucket> _buckets = [];
    // free_entries: entries return here on unmap and are reused (dma_entry_alloc / dma_entry_free).
    private DebugEntry? _free;
    // radix_dma_active: the overlap count of each cacheline a live mapping starts on (0 = one mapping). A line
    // whose last mapping went keeps its key with Inactive, so a map+unmap pair costs one lookup each way;
    // the inactive keys are swept out once they outnumber the active ones.
    private readonly CachelineTable _activeCachelines = new();
    private const int Inactive = -1;
    private const int InactiveSweepFloor = 1024;
    private int _inactiveCachelines;
    private readonly List<(ulong Distance, DebugBucket Bucket)> _walk = [];
    private long _sequence;
    private int _shown;
    private int _live;

    /// <param name="checks">The era's checks (profile rule).</param>
    /// <param name="deviceString">"DRIVER BDF" for a device name: dev_driver_string and dev_name.</param>
    /// <param name="report">Where findings go.</param>
    /// <param name="log">Where the printed message goes (the kernel log).</param>
    public DmaApiDebug(DmaDebugChecks checks, Func<string, string> deviceString, Action<Finding> report, Action<string> log)
    {
        _checks = checks;
        _deviceString = deviceString;
        _report = report;
        _log = log;
    }

    /// <summary>dma_debug=off sets global_disable: nothing is tracked or reported.</summary>
    public bool Enabled { get; init; } = true;

    public int LiveEntries => _live;

    /// <summary>Entries allocated so far (live plus on the free list): the pool grows only when the free list is empty.</summary>
    public int PooledEntries { get; private set; }

    /// <summary>Cachelines with a key in the overlap table: the active ones plus released ones not yet swept out.</summary>
    public int TrackedCachelines => _activeCachelines.Count;

    /// <summary>Every error the layer found, in order (error_count of debugfs).</summary>
    public List<Finding> Errors { get; } = [];

    /// <summary>The bus notifier (driver unbound). The DMA API calls reach the layer through <see cref="OnCall"/>.</summary>
    public void Attach(EventStream events) => events.Subscribe<DriverUnboundEvent>(u => DeviceUnbound(u.Device));

    /// <summary>A recorded call, as the hook would have received it.</summary>
    public void Observe(DmaApiEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (DmaApiCalls.Parse(e.Call) is { } kind) OnCall(new DmaApiCall(e.Device, kind, e.Size, e.Cpu, e.Dma, e.Ok, e.Direction, e.Sg));
    }

    /// <summary>debug_dma_map_page, debug_dma_unmap_page, debug_dma_sync_*, …: one DMA API call after the ops ran.</summary>
    public void OnCall(in DmaApiCall e)
    {
        if (!Enabled || !e.Ok || e.Dma is not { } dma) return;
        var dir = e.Direction ?? DmaDirection.Bidirectional;
        var sgEnts = e.Sg?.CallEnts ?? 0;
        switch (e.Kind)
        {
            case DmaApiCallKind.MapSingle or DmaApiCallKind.MapPage:
                OnMap(e.Device, e.Kind, dma.Value, e.Size, e.Cpu?.Value ?? 0, dir);
                break;
            case DmaApiCallKind.MapSg:
                Add(e.Device, dma.Value, e.Size, DebugType.Sg, dir, e.Cpu?.Value ?? 0, sgEnts, e.Sg?.MappedEnts ?? 0, MapErrorState.NotApplicable);
                CheckSgSegment(e.Device, dma.Value, e.Size);
                break;
            case DmaApiCallKind.AllocCoherent:
                Add(e.Device, dma.Value, e.Size, DebugType.Coherent, DmaDirection.Bidirectional, e.Cpu?.Value ?? 0, 0, 0, MapErrorState.NotApplicable);
                break;
            case DmaApiCallKind.UnmapSingle or DmaApiCallKind.UnmapPage:
                OnUnmap(e.Device, e.Kind, dma.Value, e.Size, dir);
                break;
            case DmaApiCallKind.UnmapSg:
                CheckUnmap(new DebugRef(e.Device, dma.Value, e.Size, DebugType.Sg, dir, e.Cpu?.Value ?? 0, sgEnts));
                break;
            case DmaApiCallKind.FreeCoherent:
                CheckUnmap(new DebugRef(e.Device, dma.Value, e.Size, DebugType.Coherent, DmaDirection.Bidirectional, e.Cpu?.Value ?? 0, 0));
                break;
            case DmaApiCallKind.MappingError:
                OnMappingError(e.Device, dma.Value);
                break;
            case DmaApiCallKind.SyncSingleForCpu or DmaApiCallKind.SyncSingleForDevice:
                CheckSync(new DebugRef(e.Device, dma.Value, e.Size, DebugType.Single, dir, 0, 0), e.Kind == DmaApiCallKind.SyncSingleForCpu);
                break;
            case DmaApiCallKind.SyncSgForCpu or DmaApiCallKind.SyncSgForDevice:
                CheckSync(new DebugRef(e.Device, dma.Value, e.Size, DebugType.Sg, dir, 0, sgEnts), e.Kind == DmaApiCallKind.SyncSgForCpu);
                break;
        }
    }

    /// <summary>debug_dma_map_page after a successful map (the DMA API's hot path hands the fields by value).</summary>
    public void OnMap(string device, DmaApiCallKind kind, ulong dma, ulong size, ulong paddr, DmaDirection direction)
    {
        if (!Enabled) return;
        Add(device, dma, size, SingleType(kind), direction, paddr, 0, 0,
            Has(DmaDebugChecks.MapErrorCheck) ? MapErrorState.NotChecked : MapErrorState.NotApplicable);
    }

    /// <summary>debug_dma_unmap_page.</summary>
    public void OnUnmap(string device, DmaApiCallKind kind, ulong dma, ulong size, DmaDirection direction)
    {
        if (Enabled) CheckUnmap(new DebugRef(device, dma, size, SingleType(kind), direction, 0, 0));
    }

    /// <summary>debug_dma_mapping_error.</summary>
    public void OnMappingError(string device, ulong dma)
    {
        if (Enabled) MarkChecked(device, dma);
    }

    /// <summary>Every live entry, in the order they were added.</summary>
    private List<DebugEntry> LiveInOrder()
    {
        var all = new List<DebugEntry>(_live);
        foreach (var b in _buckets.Values)
            for (var x = b.Head; x is not null; x = x.Next) all.Add(x);
        all.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return all;
    }

    /// <summary>
    /// dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER): a driver released with entries left is
    /// reported once, with the count and the entry the hash walk met last.
    /// </summary>
    public void DeviceUnbound(string device)
    {
        if (!Enabled || _live == 0) return;
        var left = LiveInOrder().Where(x => x.Device == device).ToList();
        if (left.Count == 0) return;
        var last = left.OrderBy(x => x.Bucket).ThenBy(x => x.Sequence).Last();
        Error(device, FindingKind.PendingAtUnbind,
            $"device driver has pending DMA allocations while released from device [count={left.Count}]\n" +
            $"One of leaked entries details: [device address=0x{last.Dma:x16}] [size={last.Size} bytes] [mapped with {DmaApi.DirName(last.Direction)}] [mapped as {TypeName(last.Type)}]");
    }

    /// <summary>The simulator's own end-of-run check: streaming mappings nobody unmapped (coherent buffers are long-lived by design).</summary>
    public void ReportLeaksAtEnd()
    {
        if (!Enabled || _live == 0) return;
        foreach (var group in LiveInOrder().Where(x => x.Type != DebugType.Coherent).GroupBy(x => x.Device).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var text = $"{group.Count()} streaming DMA mapping(s) still live when the run ends; the first: [device address=0x{first.Dma:x16}] [size={first.Size} bytes] [mapped with {DmaApi.DirName(first.Direction)}] [mapped as {TypeName(first.Type)}]";
            var f = new Finding(FindingKind.LeakAtEnd, group.Key, Outcome.Ok, text);
            Errors.Add(f);
            _report(f);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Has(DmaDebugChecks check) => (_checks & check) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DebugType SingleType(DmaApiCallKind call) =>
        Has(DmaDebugChecks.PageTypeDistinct) && call is DmaApiCallKind.MapPage or DmaApiCallKind.UnmapPage ? DebugType.Page : DebugType.Single;

    /// <summary>add_dma_entry: an entry from the free list, hashed into its bucket; then its first cacheline is tracked unless the device only reads it.</summary>
    private void Add(string device, ulong dma, ulong size, DebugType type, DmaDirection dir, ulong paddr, int sgCallEnts, int sgMappedEnts, MapErrorState mapError)
    {
        var entry = _free;
        if (entry is null)
        {
            // dma_entry_alloc with the free list empty: dma_debug_create_entries adds entries.
            entry = new DebugEntry();
            PooledEntries++;
        }
        else _free = entry.Next;
        entry.Set(device, dma, size, type, dir, paddr, sgCallEnts, sgMappedEnts);
        entry.MapError = mapError;
        entry.Sequence = _sequence++;
        var bucketNo = DebugHash.Bucket(dma);
        var bucket = BucketOf(dma);
        if (bucket is null) _buckets[bucketNo] = _lastBucket = bucket = new DebugBucket(bucketNo);
        bucket.Append(entry);
        _live++;
        if (dir == DmaDirection.ToDevice) return;
        ref var overlap = ref _activeCachelines.GetOrAdd(Cacheline(paddr), out var known);
        if (!known) return; // a new line: 0, one mapping
        if (overlap == Inactive)
        {
            overlap = 0;
            _inactiveCachelines--;
            return;
        }
        overlap++;
        if (Has(DmaDebugChecks.OverlapCheck))
            Error(device, FindingKind.OverlappingMapping, "cacheline tracking EEXIST, overlapping mappings aren't supported");
    }

    /// <summary>hash_bucket_del + dma_entry_free: out of its bucket, back onto the free list.</summary>
    private void Remove(DebugEntry entry)
    {
        var direction = entry.Direction;
        var paddr = entry.Paddr;
        (_lastBucket is { } last && last.Number == entry.Bucket ? last : _buckets[entry.Bucket]).Unlink(entry);
        _live--;
        // Not cleared: nothing reads a free entry, and Set overwrites every field when it is reused.
        entry.Next = _free;
        _free = entry;
        if (direction == DmaDirection.ToDevice) return;
        ref var overlap = ref _activeCachelines.Find(Cacheline(paddr));
        if (Unsafe.IsNullRef(ref overlap) || overlap == Inactive) return;
        if (overlap > 0)
        {
            overlap--;
            return;
        }
        overlap = Inactive;
        if (++_inactiveCachelines > InactiveSweepFloor && _inactiveCachelines > _activeCachelines.Count / 2) SweepInactiveCachelines();
    }

    /// <summary>Drops the keys of lines no mapping starts on any more.</summary>
    private void SweepInactiveCachelines()
    {
        _activeCachelines.RemoveAll(Inactive);
        _inactiveCachelines = 0;
    }

    /// <summary>to_cacheline_number with x86's 64-byte L1 lines.</summary>
    private static ulong Cacheline(ulong paddr) => paddr >> 6;

    // The bucket of the last lookup: a map, its dma_mapping_error and its unmap hit the same one.
    private DebugBucket? _lastBucket;

    private DebugBucket? BucketOf(ulong dma)
    {
        var no = DebugHash.Bucket(dma);
        if (_lastBucket is { } last && last.Number == no) return last;
        if (!_buckets.TryGetValue(no, out var b)) return null;
        return _lastBucket = b;
    }

    private void CheckUnmap(in DebugRef r)
    {
        var entry = FindExact(BucketOf(r.Dma), r);
        if (entry is null)
        {
            UnmapNotFound(r);
            return;
        }
        // The usual unmap matches its entry field for field; the messages are built out of line so this frame stays small.
        if (r.Size != entry.Size || r.Type != entry.Type || r.Direction != entry.Direction || entry.MapError == MapErrorState.NotChecked
            || entry.Type == DebugType.Coherent || (r.SgCallEnts != 0 && r.Type == DebugType.Sg && r.SgCallEnts != entry.SgCallEnts))
            CheckUnmapFields(r, entry);
        Remove(entry);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UnmapNotFound(in DebugRef r)
    {
        if (r.Dma == ulong.MaxValue) Error(r.Device, FindingKind.FreeInvalidAddress, "device driver tries to free an invalid DMA memory address");
        else Error(r.Device, FindingKind.FreeNotAllocated, $"device driver tries to free DMA memory it has not allocated [device address=0x{r.Dma:x16}] [size={r.Size} bytes]");
    }

    /// <summary>check_unmap's comparisons of the call with its entry, in the kernel's order.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckUnmapFields(in DebugRef r, DebugEntry entry)
    {
        if (r.Size != entry.Size)
            Error(r.Device, FindingKind.FreeDifferentSize, $"device driver frees DMA memory with different size [device address=0x{r.Dma:x16}] [map size={entry.Size} bytes] [unmap size={r.Size} bytes]");
        if (r.Type != entry.Type)
            Error(r.Device, FindingKind.FreeWrongFunction, $"device driver frees DMA memory with wrong function [device address=0x{r.Dma:x16}] [size={r.Size} bytes] [mapped as {TypeName(entry.Type)}] [unmapped as {TypeName(r.Type)}]");
        else if (entry.Type == DebugType.Coherent && r.Paddr != entry.Paddr && Has(DmaDebugChecks.CoherentCpuAddressCheck))
            Error(r.Device, FindingKind.FreeDifferentCpuAddress, $"device driver frees DMA memory with different CPU address [device address=0x{r.Dma:x16}] [size={r.Size} bytes] [cpu alloc address=0x{entry.Paddr:x}] [cpu free address=0x{r.Paddr:x}]");
        if (r.SgCallEnts != 0 && r.Type == DebugType.Sg && r.SgCallEnts != entry.SgCallEnts)
            Error(r.Device, FindingKind.FreeDifferentSgCount, $"device driver frees DMA sg list with different entry count [map count={entry.SgCallEnts}] [unmap count={r.SgCallEnts}]");
        // "This may be no bug in reality", the source says, but most DMA API implementations mishandle it.
        if (r.Direction != entry.Direction)
            Error(r.Device, FindingKind.FreeDifferentDirection, $"device driver frees DMA memory with different direction [device address=0x{r.Dma:x16}] [size={r.Size} bytes] [mapped with {DmaApi.DirName(entry.Direction)}] [unmapped with {DmaApi.DirName(r.Direction)}]");
        if (entry.MapError == MapErrorState.NotChecked)
            Error(r.Device, FindingKind.MapErrorNotChecked, $"device driver failed to check map error[device address=0x{r.Dma:x16}] [size={r.Size} bytes] [mapped as {TypeName(entry.Type)}]");
    }

    /// <summary>debug_dma_mapping_error: the first matching entry not yet checked becomes checked.</summary>
    private void MarkChecked(string device, ulong dma)
    {
        for (var x = BucketOf(dma)?.Head; x is not null; x = x.Next)
            if (x.Dma == dma && x.MapError == MapErrorState.NotChecked && x.Device == device)
            {
                x.MapError = MapErrorState.Checked;
                return;
            }
    }

    /// <summary>
    /// check_sync. The entry is found by containment, walking back one hash bucket at a time
    /// (bucket_find_contain); a sync running past the end is therefore "not allocated" — the
    /// "outside allocated range" branch after it cannot fire.
    /// </summary>
    private void CheckSync(in DebugRef r, bool toCpu)
    {
        var entry = FindContaining(r);
        if (entry is null)
        {
            Error(r.Device, FindingKind.SyncNotAllocated, $"device driver tries to sync DMA memory it has not allocated [device address=0x{r.Dma:x16}] [size={r.Size} bytes]");
            return;
        }
        if (entry.Direction == DmaDirection.Bidirectional) return;
        var names = $"[device address=0x{r.Dma:x16}] [size={entry.Size} bytes] [mapped with {DmaApi.DirName(entry.Direction)}] [synced with {DmaApi.DirName(r.Direction)}]";
        if (r.Direction != entry.Direction)
            Error(r.Device, FindingKind.SyncDifferentDirection, $"device driver syncs DMA memory with different direction {names}");
        if (toCpu && entry.Direction != DmaDirection.FromDevice && r.Direction != DmaDirection.ToDevice)
            Error(r.Device, FindingKind.SyncReadOnlyForCpu, $"device driver syncs device read-only DMA memory for cpu {names}");
        if (!toCpu && entry.Direction != DmaDirection.ToDevice && r.Direction != DmaDirection.FromDevice)
            Error(r.Device, FindingKind.SyncWriteOnlyToDevice, $"device driver syncs device write-only DMA memory to device {names}");
        if (r.SgCallEnts != 0 && r.Type == DebugType.Sg && r.SgCallEnts != entry.SgCallEnts)
            Error(r.Device, FindingKind.SyncDifferentSgCount, $"device driver syncs DMA sg list with different entry count [map count={entry.SgCallEnts}] [sync count={r.SgCallEnts}]");
    }

    private DebugEntry? FindContaining(in DebugRef r)
    {
        // bucket_find_contain: the home bucket, then one bucket back at a time while an entry could still start
        // there. Only buckets that hold entries can answer; visit those in the kernel's walking order.
        var limit = Math.Min(DebugHash.Size, (r.Dma >> DebugHash.Shift) + 1);
        var home = DebugHash.Bucket(r.Dma);
        if (limit <= 4 * (ulong)_buckets.Count)
        {
            // Many buckets in use: walk back bucket by bucket as the kernel does; the match is usually at home.
            for (ulong distance = 0; distance < limit; distance++)
                if (_buckets.TryGetValue((home - distance) & (DebugHash.Size - 1), out var b) && b.Head is not null && FindContainingIn(b, r) is { } hit)
                    return hit;
            return null;
        }
        _walk.Clear();
        foreach (var (no, bucket) in _buckets)
        {
            if (bucket.Head is null) continue;
            var distance = (home - no) & (DebugHash.Size - 1);
            if (distance < limit) _walk.Add((distance, bucket));
        }
        _walk.Sort((a, b) => a.Distance.CompareTo(b.Distance));
        foreach (var (_, bucket) in _walk)
            if (FindContainingIn(bucket, r) is { } found) return found;
        return null;
    }

    /// <summary>__hash_bucket_find with the exact matcher (device and address).</summary>
    private static DebugEntry? FindExact(DebugBucket? bucket, in DebugRef r)
    {
        DebugEntry? best = null;
        int count = 0, bestLevel = -1;
        for (var x = bucket?.Head; x is not null; x = x.Next)
        {
            if (x.Dma != r.Dma || x.Device != r.Device) continue;
            count++;
            var level = MatchLevel(x, r);
            if (level == 4) return x;
            if (level > bestLevel) { bestLevel = level; best = x; }
        }
        return count == 1 ? best : null;
    }

    /// <summary>__hash_bucket_find with the containing matcher (device, and the entry covers the request).</summary>
    private static DebugEntry? FindContainingIn(DebugBucket bucket, in DebugRef r)
    {
        DebugEntry? best = null;
        int count = 0, bestLevel = -1;
        for (var x = bucket.Head; x is not null; x = x.Next)
        {
            if (x.Device != r.Device || x.Dma > r.Dma || x.Dma + x.Size < r.Dma + r.Size) continue;
            count++;
            var level = MatchLevel(x, r);
            if (level == 4) return x;
            if (level > bestLevel) { bestLevel = level; best = x; }
        }
        return count == 1 ? best : null;
    }

    /// <summary>
    /// __hash_bucket_find: a perfect fit (size, type, direction, sg count) wins at once; otherwise the
    /// best of the matches, but only when there is exactly one match.
    /// </summary>
    private static int MatchLevel(DebugEntry x, in DebugRef r) =>
        (x.Size == r.Size ? 1 : 0) + (x.Type == r.Type ? 1 : 0) + (x.Direction == r.Direction ? 1 : 0) + (x.SgCallEnts == r.SgCallEnts ? 1 : 0);

    /// <summary>
    /// check_sg_segment against the PCI core's dma_parms (drivers/pci/probe.c pci_device_add: max
    /// segment 64 KiB, segment boundary 4 GiB).
    /// </summary>
    private void CheckSgSegment(string device, ulong dma, ulong length)
    {
        if (!Has(DmaDebugChecks.SgSegmentCheck)) return;
        const ulong maxSegment = 65536, boundary = 0xffffffff;
        if (length > maxSegment)
            Error(device, FindingKind.SgSegmentTooLong, $"mapping sg segment longer than device claims to support [len={length}] [max={maxSegment}]");
        var end = dma + length - 1;
        if (((dma ^ end) & ~boundary) != 0)
            Error(device, FindingKind.SgSegmentAcrossBoundary, $"mapping sg segment across boundary [start=0x{dma:x16}] [end=0x{end:x16}] [boundary=0x{boundary:x16}]");
    }

    private string TypeName(DebugType t) => t switch
    {
        DebugType.Page => "page",
        DebugType.Sg => Has(DmaDebugChecks.ScatterGatherSpelledRight) ? "scatter-gather" : "scather-gather",
        DebugType.Coherent => "coherent",
        _ => "single",
    };

    /// <summary>err_printk: counted always, printed while num_errors lasts (1 by default).</summary>
    private void Error(string device, FindingKind kind, string text)
    {
        var who = _deviceString(device);
        var line = Has(DmaDebugChecks.PrefixFirst) ? $"DMA-API: {who}: {text}" : $"{who}: DMA-API: {text}";
        var f = new Finding(kind, device, Outcome.Ok, line);
        Errors.Add(f);
        _report(f);
        if (_shown++ == 0)
            foreach (var l in line.Split('\n')) _log(l);
    }
}

/// <summary>dma_entry_hash: HASH_SIZE buckets indexed by DMA address bits 13 and up (kernel/dma/debug.c hash_fn).</summary>
internal static class DebugHash
{
    public const int Shift = 13;
    public const ulong Size = 16384;

    public static ulong Bucket(ulong dma) => (dma >> Shift) & (Size - 1);
}

internal enum DebugType { Single, Page, Sg, Coherent }

internal enum MapErrorState { NotApplicable, NotChecked, Checked }

/// <summary>The fields of a DMA API call that dma-debug matches against its entries (the kernel's on-stack reference entry).</summary>
internal readonly record struct DebugRef(string Device, ulong Dma, ulong Size, DebugType Type, DmaDirection Direction, ulong Paddr, int SgCallEnts);

/// <summary>One hash bucket: its entries in insertion order (a doubly linked list through the entries).</summary>
internal sealed class DebugBucket(ulong number)
{
    public ulong Number { get; } = number;
    public DebugEntry? Head { get; private set; }
    private DebugEntry? _tail;

    public void Append(DebugEntry e)
    {
        e.Bucket = Number;
        e.Prev = _tail;
        e.Next = null;
        if (_tail is null) Head = e;
        else _tail.Next = e;
        _tail = e;
    }

    public void Unlink(DebugEntry e)
    {
        if (e.Prev is null) Head = e.Next;
        else e.Prev.Next = e.Next;
        if (e.Next is null) _tail = e.Prev;
        else e.Next.Prev = e.Prev;
        e.Prev = e.Next = null;
    }
}

/// <summary>struct dma_debug_entry (the fields the checks read), reused through the free list.</summary>
internal sealed class DebugEntry
{
    public string Device { get; private set; } = "";
    public ulong Dma { get; private set; }
    public ulong Size { get; private set; }
    public DebugType Type { get; private set; }
    public DmaDirection Direction { get; private set; }
    public ulong Paddr { get; private set; }
    public int SgCallEnts { get; private set; }
    public int SgMappedEnts { get; private set; }

    public MapErrorState MapError { get; set; }
    public long Sequence { get; set; }
    public ulong Bucket { get; set; }

    /// <summary>The bucket's list (or, on the free list, the next free entry).</summary>
    public DebugEntry? Next { get; set; }
    public DebugEntry? Prev { get; set; }

    public void Set(string device, ulong dma, ulong size, DebugType type, DmaDirection direction, ulong paddr, int sgCallEnts, int sgMappedEnts)
    {
        Device = device;
        Dma = dma;
        Size = size;
        Type = type;
        Direction = direction;
        Paddr = paddr;
        SgCallEnts = sgCallEnts;
        SgMappedEnts = sgMappedEnts;
    }
}
