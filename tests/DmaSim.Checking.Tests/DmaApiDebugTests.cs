using DmaSim.Core;
using DmaSim.Kernel.Dma;

namespace DmaSim.Checking.Tests;

public class DmaApiDebugTests
{
    private static (DmaApiDebug Debug, List<Finding> Found) New()
    {
        var found = new List<Finding>();
        return (new DmaApiDebug(found.Add), found);
    }

    private static DmaApiEvent Ev(string call, ulong dma, ulong size, DmaDirection? dir = null) =>
        new("nic", call, size, null, new DmaAddr(dma), true, "intel_dma_ops", null) { Direction = dir };

    [Fact]
    public void A_clean_map_unmap_pair_reports_nothing()
    {
        var (d, found) = New();
        d.Observe(Ev("dma_map_single", 0x1000, 4096, DmaDirection.ToDevice));
        d.Observe(Ev("dma_sync_single_for_device", 0x1000, 4096, DmaDirection.ToDevice));
        d.Observe(Ev("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice));
        Assert.Empty(found);
        Assert.Equal(0, d.LiveEntries);
    }

    [Fact]
    public void Double_unmap_is_freeing_memory_never_allocated()
    {
        var (d, found) = New();
        d.Observe(Ev("dma_map_single", 0x1000, 4096, DmaDirection.ToDevice));
        d.Observe(Ev("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice));
        d.Observe(Ev("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice));
        var f = Assert.Single(found);
        Assert.Contains("device driver tries to free DMA memory it has not allocated [device address=0x0000000000001000] [size=4096 bytes]", f.Message, StringComparison.Ordinal);
        Assert.Equal(Outcome.Ok, f.Outcome);
    }

    [Fact]
    public void Size_direction_and_function_mismatches_are_each_reported()
    {
        var (d, found) = New();
        d.Observe(Ev("dma_map_single", 0x2000, 8192, DmaDirection.FromDevice));
        d.Observe(Ev("dma_unmap_single", 0x2000, 4096, DmaDirection.ToDevice));
        d.Observe(Ev("dma_alloc_coherent", 0x8000, 4096));
        d.Observe(Ev("dma_unmap_single", 0x8000, 4096, DmaDirection.Bidirectional));
        Assert.Contains(found, f => f.Message.Contains("different size", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Message.Contains("different direction", StringComparison.Ordinal) && f.Message.Contains("[mapped with DMA_FROM_DEVICE] [unmapped with DMA_TO_DEVICE]", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Message.Contains("wrong function", StringComparison.Ordinal) && f.Message.Contains("[mapped as coherent] [unmapped as single]", StringComparison.Ordinal));
    }

    [Fact]
    public void Sync_outside_any_mapping_or_beyond_its_end_is_reported()
    {
        var (d, found) = New();
        d.Observe(Ev("dma_map_single", 0x4000, 4096, DmaDirection.FromDevice));
        d.Observe(Ev("dma_sync_single_for_cpu", 0x4800, 4096, DmaDirection.FromDevice));
        d.Observe(Ev("dma_sync_single_for_cpu", 0x9000, 16, DmaDirection.FromDevice));
        Assert.Contains(found, f => f.Message.Contains("syncs DMA memory outside allocated range", StringComparison.Ordinal));
        Assert.Contains(found, f => f.Message.Contains("tries to sync DMA memory it has not allocated", StringComparison.Ordinal));
    }
}
