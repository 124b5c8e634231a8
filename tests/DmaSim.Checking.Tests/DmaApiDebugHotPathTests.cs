using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Checking.Tests;

/// <summary>
/// The DMA API hands map, unmap and dma_mapping_error to dma-debug as plain values (<see cref="IDmaApiDebugHook.OnMap"/>,
/// <see cref="IDmaApiDebugHook.OnUnmap"/>, <see cref="IDmaApiDebugHook.OnMappingError"/>); these must do exactly what the
/// same calls do through <see cref="DmaApiDebug.OnCall"/>, including the cacheline table (radix_dma_active) with
/// thousands of live lines, its overlaps and its sweep of released lines.
/// </summary>
public class DmaApiDebugHotPathTests
{
    private static readonly DmaDebugChecks _modern = ProfileCatalog.Linux61.DmaDebug.Value;

    private static (DmaApiDebug Debug, List<Finding> Found) New()
    {
        var found = new List<Finding>();
        return (new DmaApiDebug(_modern, _ => "hpsa 0000:03:00.0", found.Add, _ => { }), found);
    }

    // A mix that keeps up to 3,000 mappings live, overlaps some cachelines, unmaps some with the wrong size or
    // direction and leaves some unchecked, then releases everything.
    private static IEnumerable<(DmaApiCallKind Kind, ulong Dma, ulong Size, ulong Cpu, DmaDirection Dir)> Calls()
    {
        var rng = new Random(7);
        var live = new List<(ulong Dma, ulong Size, ulong Cpu, DmaDirection Dir)>();
        for (var i = 0; i < 20_000; i++)
        {
            if (live.Count > 0 && (live.Count >= 3000 || rng.Next(3) == 0))
            {
                var at = rng.Next(live.Count);
                var (dma, size, cpu, dir) = live[at];
                live.RemoveAt(at);
                var unmapSize = rng.Next(50) == 0 ? size * 2 : size;
                var unmapDir = rng.Next(60) == 0 ? DmaDirection.ToDevice : dir;
                yield return (DmaApiCallKind.UnmapSingle, dma, unmapSize, cpu, unmapDir);
                continue;
            }
            var d = 0x1_0000_0000UL + ((ulong)i << 12);
            var c = 0x4000_0000UL + ((ulong)rng.Next(8000) << 6); // some lines shared: overlaps
            var direction = (DmaDirection)rng.Next(3);
            var sz = (ulong)(64 << rng.Next(7));
            yield return (rng.Next(8) == 0 ? DmaApiCallKind.MapPage : DmaApiCallKind.MapSingle, d, sz, c, direction);
            if (rng.Next(10) != 0) yield return (DmaApiCallKind.MappingError, d, 0, 0, DmaDirection.None);
            live.Add((d, sz, c, direction));
        }
        foreach (var (dma, size, cpu, dir) in live) yield return (DmaApiCallKind.UnmapSingle, dma, size, cpu, dir);
    }

    [Fact]
    public void Typed_hooks_do_what_the_general_hook_does()
    {
        var (viaCall, foundViaCall) = New();
        var (typed, foundTyped) = New();
        foreach (var (kind, dma, size, cpu, dir) in Calls())
        {
            switch (kind)
            {
                case DmaApiCallKind.MapSingle or DmaApiCallKind.MapPage:
                    viaCall.OnCall(new DmaApiCall("nic", kind, size, new PhysAddr(cpu), new DmaAddr(dma), true, dir, null));
                    typed.OnMap("nic", kind, dma, size, cpu, dir);
                    break;
                case DmaApiCallKind.UnmapSingle:
                    viaCall.OnCall(new DmaApiCall("nic", kind, size, null, new DmaAddr(dma), true, dir, null));
                    typed.OnUnmap("nic", kind, dma, size, dir);
                    break;
                default:
                    viaCall.OnCall(new DmaApiCall("nic", kind, 0, null, new DmaAddr(dma), true, null, null));
                    typed.OnMappingError("nic", dma);
                    break;
            }
            Assert.Equal(viaCall.LiveEntries, typed.LiveEntries);
            Assert.Equal(viaCall.TrackedCachelines, typed.TrackedCachelines);
        }
        Assert.Equal(foundViaCall.Select(f => f.Message), foundTyped.Select(f => f.Message));
        Assert.Contains(foundTyped, f => f.Kind == FindingKind.OverlappingMapping);
        Assert.Contains(foundTyped, f => f.Kind == FindingKind.MapErrorNotChecked);
        Assert.Equal(0, typed.LiveEntries);
    }

    [Fact]
    public void Cachelines_of_thousands_of_live_mappings_are_all_tracked_and_swept_once_released()
    {
        var (d, found) = New();
        for (ulong i = 0; i < 5000; i++) d.OnMap("nic", DmaApiCallKind.MapSingle, 0x1_0000_0000 + (i << 12), 64, 0x4000_0000 + (i << 6), DmaDirection.FromDevice);
        Assert.Equal(5000, d.TrackedCachelines);
        // Every line again: each one overlaps (EEXIST) exactly once more.
        for (ulong i = 0; i < 5000; i++) d.OnMap("nic", DmaApiCallKind.MapSingle, 0x2_0000_0000 + (i << 12), 64, 0x4000_0000 + (i << 6), DmaDirection.FromDevice);
        Assert.Equal(5000, found.Count(f => f.Kind == FindingKind.OverlappingMapping));
        for (ulong i = 0; i < 5000; i++)
        {
            d.OnUnmap("nic", DmaApiCallKind.UnmapSingle, 0x1_0000_0000 + (i << 12), 64, DmaDirection.FromDevice);
            d.OnUnmap("nic", DmaApiCallKind.UnmapSingle, 0x2_0000_0000 + (i << 12), 64, DmaDirection.FromDevice);
        }
        Assert.Equal(0, d.LiveEntries);
        Assert.True(d.TrackedCachelines < 2500, $"{d.TrackedCachelines} released lines were not swept");
    }
}
