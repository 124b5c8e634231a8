using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Checking.Tests;

/// <summary>Each message class of kernel/dma/debug.c (6.1) and lib/dma-debug.c (2.6.32), from the events the DMA API emits.</summary>
public class DmaApiDebugTests
{
    private static readonly DmaDebugChecks _modern = ProfileCatalog.Linux61.DmaDebug.Value;
    private static readonly DmaDebugChecks _legacy = ProfileCatalog.Linux2632.DmaDebug.Value;

    private sealed class Rig
    {
        public Rig(DmaDebugChecks checks) => Debug = new DmaApiDebug(checks, d => "hpsa 0000:03:00.0", Found.Add, Log.Add);

        public DmaApiDebug Debug { get; }
        public List<Finding> Found { get; } = [];
        public List<string> Log { get; } = [];
        public IEnumerable<FindingKind> Kinds => Found.Select(f => f.Kind);

        public Rig Do(string call, ulong dma, ulong size, DmaDirection? dir = null, ulong cpu = 0x100000, SgInfo? sg = null)
        {
            Debug.Observe(new DmaApiEvent("nic", call, size, new PhysAddr(cpu), new DmaAddr(dma), true, "ops", null) { Direction = dir, Sg = sg });
            return this;
        }
    }

    private static Rig Modern() => new(_modern);

    [Fact]
    public void A_clean_lifecycle_reports_nothing()
    {
        var r = Modern()
            .Do("dma_map_single", 0x1000, 4096, DmaDirection.ToDevice).Do("dma_mapping_error", 0x1000, 0)
            .Do("dma_sync_single_for_device", 0x1000, 4096, DmaDirection.ToDevice)
            .Do("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice)
            .Do("dma_alloc_coherent", 0x8000, 4096, cpu: 0x200000).Do("dma_free_coherent", 0x8000, 4096, cpu: 0x200000);
        Assert.Empty(r.Found);
        Assert.Equal(0, r.Debug.LiveEntries);
    }

    [Fact]
    public void Double_unmap_frees_memory_never_allocated_with_the_kernels_words_and_prefix()
    {
        var r = Modern().Do("dma_map_single", 0x1000, 4096, DmaDirection.ToDevice).Do("dma_mapping_error", 0x1000, 0)
            .Do("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice).Do("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice);
        var f = Assert.Single(r.Found);
        Assert.Equal(FindingKind.FreeNotAllocated, f.Kind);
        Assert.Equal("DMA-API: hpsa 0000:03:00.0: device driver tries to free DMA memory it has not allocated [device address=0x0000000000001000] [size=4096 bytes]", f.Message);
        Assert.Equal(Outcome.Ok, f.Outcome);
        Assert.Equal([f.Message], r.Log);
    }

    [Fact]
    public void The_2_6_32_layer_puts_the_device_first()
    {
        var r = new Rig(_legacy).Do("dma_unmap_single", 0x1000, 4096, DmaDirection.ToDevice);
        Assert.StartsWith("hpsa 0000:03:00.0: DMA-API: device driver tries to free", Assert.Single(r.Found).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unmapping_the_error_value_is_an_invalid_address() =>
        Assert.Equal([FindingKind.FreeInvalidAddress], Modern().Do("dma_unmap_page", ulong.MaxValue, 4096, DmaDirection.ToDevice).Kinds);

    [Fact]
    public void Size_direction_and_function_mismatches_are_each_reported()
    {
        var r = Modern().Do("dma_map_single", 0x2000, 8192, DmaDirection.FromDevice).Do("dma_mapping_error", 0x2000, 0)
            .Do("dma_unmap_single", 0x2000, 4096, DmaDirection.ToDevice)
            .Do("dma_alloc_coherent", 0x8000, 4096).Do("dma_unmap_single", 0x8000, 4096, DmaDirection.Bidirectional);
        Assert.Equal([FindingKind.FreeDifferentSize, FindingKind.FreeDifferentDirection, FindingKind.FreeWrongFunction], r.Kinds);
        Assert.Contains("[mapped with DMA_FROM_DEVICE] [unmapped with DMA_TO_DEVICE]", r.Found[1].Message, StringComparison.Ordinal);
        Assert.Contains("[mapped as coherent] [unmapped as single]", r.Found[2].Message, StringComparison.Ordinal);
        // Only the first error is printed (num_errors = 1); every one is counted.
        Assert.Single(r.Log);
    }

    [Fact]
    public void Single_against_page_is_a_wrong_function_only_where_the_era_tells_them_apart()
    {
        static Rig Run(DmaDebugChecks c) => new Rig(c).Do("dma_map_single", 0x3000, 4096, DmaDirection.ToDevice).Do("dma_unmap_page", 0x3000, 4096, DmaDirection.ToDevice);
        var legacy = Assert.Single(Run(_legacy).Found);
        Assert.Contains("[mapped as single] [unmapped as page]", legacy.Message, StringComparison.Ordinal);
        Assert.Equal([FindingKind.MapErrorNotChecked], Run(_modern).Kinds);
    }

    [Fact]
    public void An_unchecked_handle_is_reported_at_unmap_from_3_9_on()
    {
        var modern = Modern().Do("dma_map_page", 0x3000, 4096, DmaDirection.ToDevice).Do("dma_unmap_page", 0x3000, 4096, DmaDirection.ToDevice);
        Assert.Equal("DMA-API: hpsa 0000:03:00.0: device driver failed to check map error[device address=0x0000000000003000] [size=4096 bytes] [mapped as single]", Assert.Single(modern.Found).Message);
        Assert.Empty(new Rig(_legacy).Do("dma_map_page", 0x3000, 4096, DmaDirection.ToDevice).Do("dma_unmap_page", 0x3000, 4096, DmaDirection.ToDevice).Found);
    }

    [Fact]
    public void Freeing_a_reused_handle_names_both_cpu_addresses()
    {
        var r = Modern().Do("dma_alloc_coherent", 0x8000, 4096, cpu: 0x200000).Do("dma_free_coherent", 0x8000, 4096, cpu: 0x300000);
        var f = Assert.Single(r.Found);
        Assert.Equal(FindingKind.FreeDifferentCpuAddress, f.Kind);
        Assert.Contains("[cpu alloc address=0x200000] [cpu free address=0x300000]", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_checks_follow_check_sync()
    {
        var r = Modern().Do("dma_map_single", 0x4000, 4096, DmaDirection.ToDevice).Do("dma_mapping_error", 0x4000, 0)
            .Do("dma_sync_single_for_cpu", 0x4800, 4096, DmaDirection.ToDevice)
            .Do("dma_sync_single_for_cpu", 0x4000, 16, DmaDirection.FromDevice)
            .Do("dma_map_single", 0x10000, 4096, DmaDirection.FromDevice).Do("dma_mapping_error", 0x10000, 0)
            .Do("dma_sync_single_for_device", 0x10100, 16, DmaDirection.Bidirectional);
        Assert.Equal([FindingKind.SyncNotAllocated, FindingKind.SyncDifferentDirection, FindingKind.SyncReadOnlyForCpu,
            FindingKind.SyncDifferentDirection, FindingKind.SyncWriteOnlyToDevice], r.Kinds);
    }

    [Fact]
    public void A_sync_inside_a_mapping_that_starts_buckets_earlier_is_found_by_walking_back()
    {
        var r = Modern().Do("dma_map_single", 0x100000, 0x40000, DmaDirection.Bidirectional).Do("dma_mapping_error", 0x100000, 0)
            .Do("dma_sync_single_for_cpu", 0x130000, 64, DmaDirection.Bidirectional);
        Assert.Empty(r.Found);
    }

    [Fact]
    public void With_most_buckets_in_use_the_walk_back_finds_the_same_entries()
    {
        // 4,200 mappings of 8 KiB fill every other hash bucket: the walk goes bucket by bucket (not over a sorted
        // list of the buckets in use) and must give what the kernel's bucket_find_contain gives.
        var r = Modern();
        for (ulong i = 0; i < 4200; i++)
            r.Do("dma_map_single", 0x1000_0000 + (i * 0x4000), 0x2000, DmaDirection.Bidirectional, cpu: 0x1_0000_0000 + (i * 0x4000))
                .Do("dma_mapping_error", 0x1000_0000 + (i * 0x4000), 0);
        r.Do("dma_map_single", 0x2000_0000, 0x10000, DmaDirection.ToDevice, cpu: 0x2_0000_0000).Do("dma_mapping_error", 0x2000_0000, 0)
            .Do("dma_sync_single_for_cpu", 0x1000_0000 + (1234 * 0x4000) + 0x1000, 64, DmaDirection.Bidirectional) // home bucket
            .Do("dma_sync_single_for_device", 0x2000_0000 + 0xE000, 64, DmaDirection.ToDevice)                     // 7 buckets back
            .Do("dma_sync_single_for_cpu", 0x1000_0000 + (1234 * 0x4000) + 0x2000, 64, DmaDirection.Bidirectional); // in the gap
        Assert.Equal([FindingKind.SyncNotAllocated], r.Kinds);
    }

    [Fact]
    public void A_cacheline_whose_last_mapping_went_is_free_again_and_released_lines_do_not_pile_up()
    {
        var r = Modern()
            .Do("dma_map_single", 0x1000, 64, DmaDirection.FromDevice, cpu: 0x500000).Do("dma_mapping_error", 0x1000, 0)
            .Do("dma_unmap_single", 0x1000, 64, DmaDirection.FromDevice)
            .Do("dma_map_single", 0x2000, 64, DmaDirection.FromDevice, cpu: 0x500000).Do("dma_mapping_error", 0x2000, 0);
        Assert.Empty(r.Found);
        r.Do("dma_map_single", 0x3000, 64, DmaDirection.FromDevice, cpu: 0x500000);
        Assert.Equal([FindingKind.OverlappingMapping], r.Kinds);

        for (ulong i = 0; i < 5000; i++)
            r.Do("dma_map_single", 0x10_0000 + (i << 12), 64, DmaDirection.FromDevice, cpu: 0x100_0000 + (i << 6))
                .Do("dma_mapping_error", 0x10_0000 + (i << 12), 0)
                .Do("dma_unmap_single", 0x10_0000 + (i << 12), 64, DmaDirection.FromDevice);
        Assert.Equal([FindingKind.OverlappingMapping], r.Kinds);
        Assert.True(r.Debug.TrackedCachelines <= 1100, $"{r.Debug.TrackedCachelines} cachelines still tracked");
    }

    [Fact]
    public void Two_writable_mappings_of_one_cacheline_overlap_in_6_1_only()
    {
        static Rig Run(DmaDebugChecks c) => new Rig(c)
            .Do("dma_map_single", 0x1000, 64, DmaDirection.FromDevice, cpu: 0x500000)
            .Do("dma_map_single", 0x2000, 64, DmaDirection.FromDevice, cpu: 0x500020)
            .Do("dma_map_single", 0x3000, 64, DmaDirection.ToDevice, cpu: 0x500000);
        Assert.Equal([FindingKind.OverlappingMapping], Run(_modern).Kinds);
        Assert.Empty(Run(_legacy).Found);
    }

    [Fact]
    public void Unbinding_with_live_entries_reports_the_count_and_one_entry()
    {
        var r = Modern().Do("dma_alloc_coherent", 0x8000, 4096).Do("dma_map_single", 0x3000, 512, DmaDirection.ToDevice, cpu: 0x600000);
        r.Debug.DeviceUnbound("nic");
        var f = Assert.Single(r.Found);
        Assert.Equal(FindingKind.PendingAtUnbind, f.Kind);
        Assert.Contains("device driver has pending DMA allocations while released from device [count=2]", f.Message, StringComparison.Ordinal);
        Assert.Contains("One of leaked entries details: [device address=0x0000000000008000] [size=4096 bytes] [mapped with DMA_BIDIRECTIONAL] [mapped as coherent]", f.Message, StringComparison.Ordinal);
        r.Debug.DeviceUnbound("other");
        Assert.Single(r.Found);
    }

    [Fact]
    public void Sg_lists_are_checked_per_entry()
    {
        var map = new SgInfo(2, 2);
        var r = Modern().Do("dma_map_sg", 0x10000, 128 * 1024, DmaDirection.ToDevice, sg: map)
            .Do("dma_map_sg", 0x40000, 4096, DmaDirection.ToDevice, cpu: 0x700000, sg: map)
            .Do("dma_unmap_sg", 0x10000, 128 * 1024, DmaDirection.ToDevice, sg: new SgInfo(3, 0))
            .Do("dma_unmap_sg", 0x40000, 4096, DmaDirection.ToDevice, cpu: 0x700000, sg: new SgInfo(2, 0));
        Assert.Equal([FindingKind.SgSegmentTooLong, FindingKind.FreeDifferentSgCount], r.Kinds);
        Assert.Contains("[map count=2] [unmap count=3]", r.Found[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Streaming_mappings_left_at_the_end_are_a_leak_coherent_ones_are_not()
    {
        var r = Modern().Do("dma_alloc_coherent", 0x8000, 4096).Do("dma_map_single", 0x3000, 512, DmaDirection.ToDevice);
        r.Debug.ReportLeaksAtEnd();
        Assert.Equal([FindingKind.LeakAtEnd], r.Kinds);
    }

    [Fact]
    public void Dma_debug_off_tracks_nothing()
    {
        var found = new List<Finding>();
        var d = new DmaApiDebug(_modern, _ => "x", found.Add, _ => { }) { Enabled = false };
        d.Observe(new DmaApiEvent("nic", "dma_unmap_single", 4096, null, new DmaAddr(0x1000), true, "ops", null));
        d.DeviceUnbound("nic");
        Assert.Empty(found);
    }
}
