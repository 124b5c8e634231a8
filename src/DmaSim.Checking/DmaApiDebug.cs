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
public sealed class DmaApiDebug
{
    private readonly DmaDebugChecks _checks;
    private readonly Func<string, string> _deviceString;
    private readonly Action<Finding> _report;
    private readonly Action<string> _log;
    private readonly List<DebugEntry> _entries = [];
    private readonly Dictionary<ulong, int> _activeCachelines = [];
    private long _sequence;
    private int _shown;

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

    public int LiveEntries => _entries.Count;

    /// <summary>Every error the layer found, in order (error_count of debugfs).</summary>
    public List<Finding> Errors { get; } = [];

    public void Attach(EventStream events)
    {
        events.Subscribe<DmaApiEvent>(Observe);
        events.Subscribe<DriverUnboundEvent>(u => DeviceUnbound(u.Device));
    }

    public void Observe(DmaApiEvent e)
    {
        if (!Enabled || !e.Ok || e.Dma is not { } dma) return;
        var dir = e.Direction ?? DmaDirection.Bidirectional;
        var sgEnts = e.Sg?.CallEnts ?? 0;
        switch (e.Call)
        {
            case "dma_map_single" or "dma_map_page":
                Add(new DebugEntry(e.Device, dma.Value, e.Size, SingleType(e.Call), dir, e.Cpu?.Value ?? 0, 0, 0)
                { MapError = Has(DmaDebugChecks.MapErrorCheck) ? MapErrorState.NotChecked : MapErrorState.NotApplicable });
                break;
            case "dma_map_sg":
                Add(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Sg, dir, e.Cpu?.Value ?? 0, sgEnts, e.Sg?.MappedEnts ?? 0));
                CheckSgSegment(e.Device, dma.Value, e.Size);
                break;
            case "dma_alloc_coherent":
                Add(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Coherent, DmaDirection.Bidirectional, e.Cpu?.Value ?? 0, 0, 0));
                break;
            case "dma_unmap_single" or "dma_unmap_page":
                CheckUnmap(new DebugEntry(e.Device, dma.Value, e.Size, SingleType(e.Call), dir, 0, 0, 0));
                break;
            case "dma_unmap_sg":
                CheckUnmap(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Sg, dir, e.Cpu?.Value ?? 0, sgEnts, 0));
                break;
            case "dma_free_coherent":
                CheckUnmap(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Coherent, DmaDirection.Bidirectional, e.Cpu?.Value ?? 0, 0, 0));
                break;
            case "dma_mapping_error":
                MarkChecked(e.Device, dma.Value);
                break;
            case "dma_sync_single_for_cpu" or "dma_sync_single_for_device":
                CheckSync(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Single, dir, 0, 0, 0), e.Call.EndsWith("cpu", StringComparison.Ordinal));
                break;
            case "dma_sync_sg_for_cpu" or "dma_sync_sg_for_device":
                CheckSync(new DebugEntry(e.Device, dma.Value, e.Size, DebugType.Sg, dir, 0, sgEnts, 0), e.Call.EndsWith("cpu", StringComparison.Ordinal));
                break;
        }
    }

    /// <summary>
    /// dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER): a driver released with entries left is
    /// reported once, with the count and the entry the hash walk met last.
    /// </summary>
    public void DeviceUnbound(string device)
    {
        if (!Enabled) return;
        var left = _entries.Where(x => x.Device == device).ToList();
        if (left.Count == 0) return;
        var last = left.OrderBy(x => DebugHash.Bucket(x.Dma)).ThenBy(x => x.Sequence).Last();
        Error(device, FindingKind.PendingAtUnbind,
            $"device driver has pending DMA allocations while released from device [count={left.Count}]\n" +
            $"One of leaked entries details: [device address=0x{last.Dma:x16}] [size={last.Size} bytes] [mapped with {DmaApi.DirName(last.Direction)}] [mapped as {TypeName(last.Type)}]");
    }

    /// <summary>The simulator's own end-of-run check: streaming mappings nobody unmapped (coherent buffers are long-lived by design).</summary>
    public void ReportLeaksAtEnd()
    {
        if (!Enabled) return;
        foreach (var group in _entries.Where(x => x.Type != DebugType.Coherent).GroupBy(x => x.Device).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var text = $"{group.Count()} streaming DMA mapping(s) still live when the run ends; the first: [device address=0x{first.Dma:x16}] [size={first.Size} bytes] [mapped with {DmaApi.DirName(first.Direction)}] [mapped as {TypeName(first.Type)}]";
            var f = new Finding(FindingKind.LeakAtEnd, group.Key, Outcome.Ok, text);
            Errors.Add(f);
            _report(f);
        }
    }

    private bool Has(DmaDebugChecks check) => (_checks & check) != 0;

    private DebugType SingleType(string call) =>
        Has(DmaDebugChecks.PageTypeDistinct) && call.EndsWith("_page", StringComparison.Ordinal) ? DebugType.Page : DebugType.Single;

    /// <summary>add_dma_entry: hash the entry, then track its first cacheline unless the device only reads it.</summary>
    private void Add(DebugEntry entry)
    {
        entry.Sequence = _sequence++;
        _entries.Add(entry);
        if (entry.Direction == DmaDirection.ToDevice) return;
        var line = Cacheline(entry.Paddr);
        if (_activeCachelines.TryGetValue(line, out var overlap))
        {
            _activeCachelines[line] = overlap + 1;
            if (Has(DmaDebugChecks.OverlapCheck))
                Error(entry.Device, FindingKind.OverlappingMapping, "cacheline tracking EEXIST, overlapping mappings aren't supported");
        }
        else _activeCachelines[line] = 0;
    }

    private void Remove(DebugEntry entry)
    {
        _entries.Remove(entry);
        if (entry.Direction == DmaDirection.ToDevice) return;
        var line = Cacheline(entry.Paddr);
        if (!_activeCachelines.TryGetValue(line, out var overlap)) return;
        if (overlap == 0) _activeCachelines.Remove(line);
        else _activeCachelines[line] = overlap - 1;
    }

    /// <summary>to_cacheline_number with x86's 64-byte L1 lines.</summary>
    private static ulong Cacheline(ulong paddr) => paddr >> 6;

    private void CheckUnmap(DebugEntry r)
    {
        var entry = FindBest(_entries.Where(x => x.Device == r.Device && x.Dma == r.Dma), r);
        if (entry is null)
        {
            if (r.Dma == ulong.MaxValue) Error(r.Device, FindingKind.FreeInvalidAddress, "device driver tries to free an invalid DMA memory address");
            else Error(r.Device, FindingKind.FreeNotAllocated, $"device driver tries to free DMA memory it has not allocated [device address=0x{r.Dma:x16}] [size={r.Size} bytes]");
            return;
        }
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
        Remove(entry);
    }

    /// <summary>debug_dma_mapping_error: the first matching entry not yet checked becomes checked.</summary>
    private void MarkChecked(string device, ulong dma)
    {
        var entry = _entries.FirstOrDefault(x => x.Device == device && x.Dma == dma && x.MapError == MapErrorState.NotChecked);
        if (entry is not null) entry.MapError = MapErrorState.Checked;
    }

    /// <summary>
    /// check_sync. The entry is found by containment, walking back one hash bucket at a time
    /// (bucket_find_contain); a sync running past the end is therefore "not allocated" — the
    /// "outside allocated range" branch after it cannot fire.
    /// </summary>
    private void CheckSync(DebugEntry r, bool toCpu)
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

    private DebugEntry? FindContaining(DebugEntry r)
    {
        // Only buckets holding a containing entry can answer; visit those in the kernel's walking order.
        var limit = Math.Min(DebugHash.Size, (r.Dma >> DebugHash.Shift) + 1);
        var home = DebugHash.Bucket(r.Dma);
        var groups = _entries
            .Where(x => x.Device == r.Device && x.Dma <= r.Dma && x.Dma + x.Size >= r.Dma + r.Size)
            .GroupBy(x => (home - DebugHash.Bucket(x.Dma)) & (DebugHash.Size - 1))
            .Where(g => g.Key < limit)
            .OrderBy(g => g.Key);
        foreach (var g in groups)
            if (FindBest(g, r) is { } found) return found;
        return null;
    }

    /// <summary>
    /// __hash_bucket_find: a perfect fit (size, type, direction, sg count) wins at once; otherwise the
    /// best of the matches, but only when there is exactly one match.
    /// </summary>
    private static DebugEntry? FindBest(IEnumerable<DebugEntry> matches, DebugEntry r)
    {
        DebugEntry? best = null;
        int count = 0, bestLevel = -1;
        foreach (var x in matches)
        {
            count++;
            var level = (x.Size == r.Size ? 1 : 0) + (x.Type == r.Type ? 1 : 0) + (x.Direction == r.Direction ? 1 : 0) + (x.SgCallEnts == r.SgCallEnts ? 1 : 0);
            if (level == 4) return x;
            if (level > bestLevel) { bestLevel = level; best = x; }
        }
        return count == 1 ? best : null;
    }

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

/// <summary>struct dma_debug_entry (the fields the checks read).</summary>
internal sealed class DebugEntry(string device, ulong dma, ulong size, DebugType type, DmaDirection direction, ulong paddr, int sgCallEnts, int sgMappedEnts)
{
    public string Device { get; } = device;
    public ulong Dma { get; } = dma;
    public ulong Size { get; } = size;
    public DebugType Type { get; } = type;
    public DmaDirection Direction { get; } = direction;
    public ulong Paddr { get; } = paddr;
    public int SgCallEnts { get; } = sgCallEnts;
    public int SgMappedEnts { get; } = sgMappedEnts;

    public MapErrorState MapError { get; set; }
    public long Sequence { get; set; }
}
