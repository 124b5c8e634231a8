using DmaSim.Core;
using DmaSim.Kernel.Dma;

namespace DmaSim.Checking;

/// <summary>
/// What CONFIG_DMA_API_DEBUG would report (kernel/dma/debug.c): one entry per live mapping or coherent
/// allocation, looked up by (device, DMA address) on unmap/free and by containment on sync. Messages
/// carry the kernel's "DMA-API: ... device driver ..." wording. These are the kernel's view of driver
/// misuse; they do not change a device's outcome.
/// </summary>
public sealed class DmaApiDebug
{
    private readonly Dictionary<(string Device, ulong Dma), Entry> _live = [];
    private readonly Action<Finding> _report;

    private sealed record Entry(ulong Size, DmaDirection Direction, string Type);

    public DmaApiDebug(Action<Finding> report) => _report = report;

    public int LiveEntries => _live.Count;

    public void Attach(EventStream events) => events.Subscribe<DmaApiEvent>(Observe);

    public void Observe(DmaApiEvent e)
    {
        if (!e.Ok || e.Dma is not { } dma) return;
        var key = (e.Device, dma.Value);
        switch (e.Call)
        {
            case "dma_map_single":
                _live[key] = new Entry(e.Size, e.Direction ?? DmaDirection.Bidirectional, "single");
                break;
            case "dma_alloc_coherent":
                _live[key] = new Entry(e.Size, DmaDirection.Bidirectional, "coherent");
                break;
            case "dma_unmap_single":
                Release(e, key, "single");
                break;
            case "dma_free_coherent":
                Release(e, key, "coherent");
                break;
            case "dma_sync_single_for_cpu" or "dma_sync_single_for_device":
                Sync(e, dma.Value);
                break;
        }
    }

    // check_unmap: not found / wrong size / wrong function / wrong direction.
    private void Release(DmaApiEvent e, (string, ulong) key, string type)
    {
        if (!_live.Remove(key, out var entry))
        {
            Report(e, $"device driver tries to free DMA memory it has not allocated [device address={Hex.Format(key.Item2, 16)}] [size={e.Size} bytes]");
            return;
        }
        if (entry.Size != e.Size)
            Report(e, $"device driver frees DMA memory with different size [device address={Hex.Format(key.Item2, 16)}] [map size={entry.Size} bytes] [unmap size={e.Size} bytes]");
        if (entry.Type != type)
            Report(e, $"device driver frees DMA memory with wrong function [device address={Hex.Format(key.Item2, 16)}] [size={e.Size} bytes] [mapped as {entry.Type}] [unmapped as {type}]");
        if (type == "single" && e.Direction is { } d && d != entry.Direction)
            Report(e, $"device driver frees DMA memory with different direction [device address={Hex.Format(key.Item2, 16)}] [size={e.Size} bytes] [mapped with {DmaApi.DirName(entry.Direction)}] [unmapped with {DmaApi.DirName(d)}]");
    }

    // check_sync: the synced range must lie inside a live mapping, in its direction.
    private void Sync(DmaApiEvent e, ulong addr)
    {
        foreach (var ((device, start), entry) in _live)
        {
            if (device != e.Device || addr < start || addr >= start + entry.Size) continue;
            if (addr + e.Size > start + entry.Size)
                Report(e, $"device driver syncs DMA memory outside allocated range [device address={Hex.Format(start, 16)}] [allocation size={entry.Size} bytes] [sync offset+size={addr - start + e.Size}]");
            if (e.Direction is { } d && entry.Direction != DmaDirection.Bidirectional && d != entry.Direction)
                Report(e, $"device driver syncs DMA memory with different direction [device address={Hex.Format(start, 16)}] [size={entry.Size} bytes] [mapped with {DmaApi.DirName(entry.Direction)}] [synced with {DmaApi.DirName(d)}]");
            return;
        }
        Report(e, $"device driver tries to sync DMA memory it has not allocated [device address={Hex.Format(addr, 16)}] [size={e.Size} bytes]");
    }

    private void Report(DmaApiEvent e, string text) =>
        _report(new Finding("dma-api-debug", e.Device, Outcome.Ok, $"DMA-API: {e.Device}: {text}"));
}
