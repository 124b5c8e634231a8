using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Tests.Mm;

namespace DmaSim.Kernel.Tests.Dma;

public class SwiotlbTests
{
    private const ulong KiB = 1UL << 10, MiB = 1UL << 20;
    private const string Dev = "0000:03:00.0";
    // A kernel buffer in Normal memory, far from the pool.
    private static readonly PhysAddr _orig = new(0x200000000);

    private static (TestMachine M, Swiotlb Tlb) Boot(SwiotlbVariant variant, int areas = 1, int cpu = 0)
    {
        var m = TestMachine.Typical8G();
        var wording = variant == SwiotlbVariant.Modern ? SwiotlbInfoWording.MappedPa : SwiotlbInfoWording.Placing;
        var tlb = Swiotlb.Create(m.Allocator, m.Memory, m.Events, new SwiotlbConfig { Variant = variant, Areas = areas, Cpu = cpu, InfoWording = wording });
        return (m, tlb);
    }

    /// <summary>swiotlb_print_info's four wordings for the same pool (0xbc000000, 64 MiB).</summary>
    [Theory]
    [InlineData(SwiotlbInfoWording.Placing, "Placing 64MB software IO TLB between ffff8800bc000000 - ffff8800c0000000|software IO TLB at phys 0xbc000000 - 0xc0000000")]
    [InlineData(SwiotlbInfoWording.MemMappedAt, "software IO TLB [mem 0xbc000000-0xc0000000] (64MB) mapped at [ffff8800bc000000-ffff8800bfffffff]")]
    [InlineData(SwiotlbInfoWording.MemMappedAtHashed, "software IO TLB [mem 0xbc000000-0xc0000000] (64MB) mapped at [(____ptrval____)-(____ptrval____)]")]
    [InlineData(SwiotlbInfoWording.Mapped, "software IO TLB: mapped [mem 0xbc000000-0xc0000000] (64MB)")]
    [InlineData(SwiotlbInfoWording.MappedPa, "software IO TLB: mapped [mem 0x00000000bc000000-0x00000000c0000000] (64MB)")]
    public void Each_release_words_the_pool_its_own_way(SwiotlbInfoWording wording, string lines)
    {
        var m = TestMachine.Typical8G();
        Swiotlb.Create(m.Allocator, m.Memory, m.Events, new SwiotlbConfig { Variant = SwiotlbVariant.Legacy, InfoWording = wording });
        Assert.Equal(lines.Split('|'), m.Events.LogLines().ToArray());
    }

    private static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] Read(TestMachine m, PhysAddr a, int length)
    {
        var b = new byte[length];
        m.Memory.Read(a, b);
        return b;
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy)]
    [InlineData(SwiotlbVariant.Modern)]
    public void The_pool_is_64_MiB_at_the_top_of_low_memory(SwiotlbVariant variant)
    {
        var (m, tlb) = Boot(variant);
        Assert.Equal(new PhysRange(0xbc000000, 0xbfffffff), tlb.Pool);
        Assert.Equal(32768, tlb.TotalSlots);
        Assert.Equal(0, tlb.UsedSlots);
        Assert.Equal(OwnerKind.SwiotlbPool, m.Owners.OwnerOf(new PhysAddr(0xbc000000)).Kind);
        Assert.True(tlb.IsBounceAddress(new PhysAddr(0xbfffffff)));
        Assert.False(tlb.IsBounceAddress(new PhysAddr(0xc0000000)));
        if (variant == SwiotlbVariant.Legacy)
        {
            Assert.Equal(new PhysRange(0xbbff8000, 0xbbffffff), tlb.OverflowBuffer);
            Assert.Contains("software IO TLB at phys 0xbc000000 - 0xc0000000", m.Events.LogLines());
            Assert.Contains("Placing 64MB software IO TLB between ffff8800bc000000 - ffff8800c0000000", m.Events.LogLines());
        }
        else
        {
            Assert.Null(tlb.OverflowBuffer);
            Assert.Contains("software IO TLB: mapped [mem 0x00000000bc000000-0x00000000c0000000] (64MB)", m.Events.LogLines());
        }
    }

    [Fact]
    public void A_bootmem_goal_places_the_pool_as_2_6_32_boot_logs_show()
    {
        var m = TestMachine.Typical8G();
        var tlb = Swiotlb.Create(m.Allocator, m.Memory, m.Events,
            new SwiotlbConfig { Variant = SwiotlbVariant.Legacy, BootmemGoal = SwiotlbConfig.LegacyBootmemGoal });
        Assert.Equal(new PhysRange(0x20000000, 0x23ffffff), tlb.Pool);
        Assert.Equal(new PhysRange(0x24000000, 0x24007fff), tlb.OverflowBuffer);
        Assert.Equal(["Placing 64MB software IO TLB between ffff880020000000 - ffff880024000000", "software IO TLB at phys 0x20000000 - 0x24000000"],
            m.Events.LogLines().ToArray());
        // Above the goal there is no room on a 544 MiB machine: bootmem retries from 0.
        var small = TestMachine.Create([TestMachine.Usable(0x100000, 0x21ffffff)], reserved: [new PhysRange(0x1000000, 0x1ffffff)]);
        var low = Swiotlb.Create(small.Allocator, small.Memory, small.Events,
            new SwiotlbConfig { Variant = SwiotlbVariant.Legacy, BootmemGoal = SwiotlbConfig.LegacyBootmemGoal });
        Assert.Equal(0x2000000UL, low.Pool.Start.Value);
    }

    [Fact]
    public void Modern_pools_with_areas_say_so_and_the_pool_itself_prints_only_its_place()
    {
        Assert.Equal("software IO TLB: area num 4.", Swiotlb.AreasLine(4));
        var (m, _) = Boot(SwiotlbVariant.Modern, areas: 4);
        Assert.Equal(["software IO TLB: mapped [mem 0x00000000bc000000-0x00000000c0000000] (64MB)"], m.Events.LogLines().ToArray());
    }

    [Fact]
    public void Bounce_copies_keep_bytes_in_every_direction()
    {
        var gen = Gen.Select(Gen.Int[0, 1], Gen.Int[0, 2], Gen.ULong[1, 256 * KiB], Gen.ULong[0, 4095], Gen.Int[0, 1000]);
        gen.Sample((variantIndex, dirIndex, size, offset, seed) =>
        {
            var variant = (SwiotlbVariant)variantIndex;
            var dir = (DmaDirection)dirIndex;
            var (m, tlb) = Boot(variant);
            var orig = _orig.Add(offset);
            var cpuData = Pattern((int)size, seed);
            m.Memory.Write(orig, cpuData);
            var r = tlb.Map(Dev, orig, size, dir);
            Assert.True(r.IsMapped);
            Assert.True(tlb.IsBounceAddress(r.Address));
            Assert.True(tlb.IsBounceAddress(r.Address.Add(size - 1)));
            Assert.Equal(orig, tlb.OriginalOf(r.Address));
            var copiedAtMap = variant == SwiotlbVariant.Modern || dir != DmaDirection.FromDevice;
            Assert.Equal(copiedAtMap, Read(m, r.Address, (int)size).SequenceEqual(cpuData));
            // The device writes its data into the bounce buffer.
            var deviceData = Pattern((int)size, seed + 1);
            if (dir != DmaDirection.ToDevice) m.Memory.Write(r.Address, deviceData);
            Assert.True(tlb.Unmap(r.Address, size, dir));
            var expected = dir == DmaDirection.ToDevice ? cpuData : deviceData;
            Assert.Equal(expected, Read(m, orig, (int)size));
            Assert.Equal(0, tlb.UsedSlots);
            Assert.Null(tlb.OriginalOf(r.Address));
        }, iter: 150);
    }

    [Fact]
    public void A_257_KiB_mapping_fails_with_the_modern_message()
    {
        var (m, tlb) = Boot(SwiotlbVariant.Modern);
        var r = tlb.Map(Dev, _orig, 257 * KiB, DmaDirection.ToDevice);
        Assert.Equal(SwiotlbMapStatus.Full, r.Status);
        Assert.Equal("swiotlb buffer is full (sz: 263168 bytes), total 32768 (slots), used 0 (slots)", r.Message);
        Assert.Contains(Dev + ": " + r.Message, m.Events.LogLines());
        Assert.True(tlb.Map(Dev, _orig, 256 * KiB, DmaDirection.ToDevice).IsMapped);
        Assert.Equal(256 * KiB, Swiotlb.MaxMappingSize());
        Assert.Equal(252 * KiB, Swiotlb.MaxMappingSize(4095));
    }

    [Theory]
    [InlineData(DmaDirection.ToDevice, "DMA: Random memory could be DMA read")]
    [InlineData(DmaDirection.FromDevice, "DMA: Random memory could be DMA written")]
    [InlineData(DmaDirection.Bidirectional, "DMA: Random memory could be DMA accessed")]
    public void A_257_KiB_mapping_panics_a_2_6_32_kernel(DmaDirection dir, string panic)
    {
        var (m, tlb) = Boot(SwiotlbVariant.Legacy);
        var r = tlb.Map(Dev, _orig, 257 * KiB, dir);
        Assert.Equal(SwiotlbMapStatus.Panic, r.Status);
        Assert.Equal(panic, r.Message);
        Assert.Contains("DMA: Out of SW-IOMMU space for 263168 bytes at device " + Dev, m.Events.LogLines());
        Assert.Contains("Kernel panic - not syncing: " + panic, m.Events.LogLines());
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy)]
    [InlineData(SwiotlbVariant.Modern)]
    public void Two_hundred_fifty_six_maximal_mappings_fill_the_pool(SwiotlbVariant variant)
    {
        var (m, tlb) = Boot(variant);
        var bounces = new HashSet<ulong>();
        for (var i = 0; i < 256; i++)
        {
            var r = tlb.Map(Dev, _orig.Add((ulong)i * 256 * KiB), 256 * KiB, DmaDirection.ToDevice);
            Assert.True(r.IsMapped, $"mapping {i}: {r.Message}");
            Assert.Equal(0UL, (r.Address.Value - tlb.Pool.Start.Value) % (256 * KiB));
            Assert.True(bounces.Add(r.Address.Value));
        }
        Assert.Equal(32768, tlb.UsedSlots);
        var next = tlb.Map(Dev, _orig, 2 * KiB, DmaDirection.FromDevice);
        if (variant == SwiotlbVariant.Modern)
        {
            Assert.Equal(SwiotlbMapStatus.Full, next.Status);
            Assert.Equal("swiotlb buffer is full (sz: 2048 bytes), total 32768 (slots), used 32768 (slots)", next.Message);
        }
        else
        {
            Assert.Equal(SwiotlbMapStatus.OverflowBuffer, next.Status);
            Assert.Equal(tlb.OverflowBuffer!.Value.Start, next.Address);
            Assert.Equal("DMA: Out of SW-IOMMU space for 2048 bytes at device " + Dev, next.Message);
        }
        Assert.Single(m.Events.Events.OfType<SwiotlbFullEvent>());
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy)]
    [InlineData(SwiotlbVariant.Modern)]
    public void Fragmentation_makes_a_small_request_fail_while_half_the_slots_are_free(SwiotlbVariant variant)
    {
        var (_, tlb) = Boot(variant);
        var maps = new List<PhysAddr>();
        for (var i = 0; i < tlb.TotalSlots; i++)
        {
            var r = tlb.Map(Dev, _orig.Add((ulong)i * 2 * KiB), 2 * KiB, DmaDirection.ToDevice);
            Assert.True(r.IsMapped);
            maps.Add(r.Address);
        }
        for (var i = 0; i < maps.Count; i += 2) Assert.True(tlb.Unmap(maps[i], 2 * KiB, DmaDirection.ToDevice));
        Assert.Equal(16384, tlb.UsedSlots);
        var r4k = tlb.Map(Dev, _orig, 4 * KiB, DmaDirection.ToDevice);
        Assert.False(r4k.IsMapped);
        if (variant == SwiotlbVariant.Modern)
            Assert.Equal("swiotlb buffer is full (sz: 4096 bytes), total 32768 (slots), used 16384 (slots)", r4k.Message);
        else
            Assert.Equal(SwiotlbMapStatus.OverflowBuffer, r4k.Status);
        Assert.True(tlb.Map(Dev, _orig, 2 * KiB, DmaDirection.ToDevice).IsMapped);
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy)]
    [InlineData(SwiotlbVariant.Modern)]
    public void A_mapping_never_crosses_a_128_slot_segment(SwiotlbVariant variant)
    {
        var (_, tlb) = Boot(variant);
        var maps = new List<PhysAddr>();
        for (var i = 0; i < tlb.TotalSlots; i++) maps.Add(tlb.Map(Dev, _orig, 2 * KiB, DmaDirection.ToDevice).Address);
        // Free the first 64 slots of segment 1, then the last 64 of segment 0 (so each release sees a free
        // neighbour across the boundary): 128 contiguous free slots that no single mapping may use.
        for (var i = 191; i >= 64; i--) Assert.True(tlb.Unmap(maps[i], 2 * KiB, DmaDirection.ToDevice));
        Assert.False(tlb.Map(Dev, _orig, 256 * KiB, DmaDirection.ToDevice).IsMapped);
        var half = tlb.Map(Dev, _orig, 128 * KiB, DmaDirection.ToDevice);
        Assert.True(half.IsMapped);
        var slot = (half.Address.Value - tlb.Pool.Start.Value) / (2 * KiB);
        Assert.True(slot is 64 or 128, $"slot {slot}");
    }

    [Fact]
    public void Legacy_overflow_buffer_up_to_32_KiB_then_panic()
    {
        var (m, tlb) = Boot(SwiotlbVariant.Legacy);
        for (var i = 0; i < 256; i++) Assert.True(tlb.Map(Dev, _orig, 256 * KiB, DmaDirection.ToDevice).IsMapped);
        var small = tlb.Map(Dev, _orig, 32 * KiB, DmaDirection.FromDevice);
        Assert.Equal(SwiotlbMapStatus.OverflowBuffer, small.Status);
        Assert.Equal(tlb.OverflowBuffer!.Value.Start, small.Address);
        Assert.False(tlb.IsBounceAddress(small.Address));
        Assert.Equal("overflow buffer", m.Owners.OwnerOf(small.Address).Label);
        // A driver that ignores dma_mapping_error unmaps the overflow buffer: not a swiotlb buffer, a no-op.
        Assert.False(tlb.Unmap(small.Address, 32 * KiB, DmaDirection.FromDevice));
        Assert.False(tlb.SyncForCpu(small.Address, 32 * KiB, DmaDirection.FromDevice));
        Assert.Equal(32768, tlb.UsedSlots);
        var big = tlb.Map(Dev, _orig, 32 * KiB + 1, DmaDirection.FromDevice);
        Assert.Equal(SwiotlbMapStatus.Panic, big.Status);
        Assert.Equal("DMA: Random memory could be DMA written", big.Message);
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy, 4096UL, 1UL)]
    [InlineData(SwiotlbVariant.Legacy, 4097UL, 2UL)]
    [InlineData(SwiotlbVariant.Modern, 4096UL, 2UL)]
    [InlineData(SwiotlbVariant.Modern, 2048UL, 1UL)]
    public void Page_alignment_rules_differ_by_era(SwiotlbVariant variant, ulong size, ulong expectedSlot)
    {
        var (_, tlb) = Boot(variant);
        Assert.True(tlb.Map(Dev, _orig, 2 * KiB, DmaDirection.ToDevice).IsMapped);
        var r = tlb.Map(Dev, _orig, size, DmaDirection.ToDevice);
        Assert.Equal(expectedSlot, (r.Address.Value - tlb.Pool.Start.Value) / (2 * KiB));
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy)]
    [InlineData(SwiotlbVariant.Modern)]
    public void Sync_copies_follow_the_direction(SwiotlbVariant variant)
    {
        var (m, tlb) = Boot(variant);
        var data = Pattern(4096, 1);
        m.Memory.Write(_orig, data);
        var from = tlb.Map(Dev, _orig, 4096, DmaDirection.FromDevice).Address;
        var dev = Pattern(4096, 2);
        m.Memory.Write(from, dev);
        Assert.True(tlb.SyncForDevice(from, 4096, DmaDirection.FromDevice));
        Assert.Equal(dev, Read(m, from, 4096));
        Assert.True(tlb.SyncForCpu(from.Add(1024), 1024, DmaDirection.FromDevice));
        Assert.Equal(dev.AsSpan(1024, 1024).ToArray(), Read(m, _orig.Add(1024), 1024));
        Assert.Equal(data.AsSpan(0, 1024).ToArray(), Read(m, _orig, 1024));

        var origTo = _orig.Add(1UL << 20);
        m.Memory.Write(origTo, data);
        var to = tlb.Map(Dev, origTo, 4096, DmaDirection.ToDevice).Address;
        var cpu = Pattern(4096, 3);
        m.Memory.Write(origTo, cpu);
        Assert.True(tlb.SyncForCpu(to, 4096, DmaDirection.ToDevice));
        Assert.Equal(data, Read(m, to, 4096));
        Assert.True(tlb.SyncForDevice(to, 4096, DmaDirection.ToDevice));
        Assert.Equal(cpu, Read(m, to, 4096));
        Assert.False(tlb.SyncForCpu(to, 4096, DmaDirection.None));
    }

    [Fact]
    public void Legacy_unmap_frees_what_the_caller_says_modern_what_the_map_recorded()
    {
        var (_, legacy) = Boot(SwiotlbVariant.Legacy);
        var a = legacy.Map(Dev, _orig, 8 * KiB, DmaDirection.ToDevice).Address;
        Assert.True(legacy.Unmap(a, 2 * KiB, DmaDirection.ToDevice));
        Assert.Equal(3, legacy.UsedSlots);

        var (_, modern) = Boot(SwiotlbVariant.Modern);
        var b = modern.Map(Dev, _orig, 8 * KiB, DmaDirection.ToDevice).Address;
        Assert.True(modern.Unmap(b, 2 * KiB, DmaDirection.ToDevice));
        Assert.Equal(0, modern.UsedSlots);
        Assert.False(modern.Unmap(b, 8 * KiB, DmaDirection.ToDevice));
    }

    [Fact]
    public void Modern_keeps_the_min_align_mask_bits_and_clamps_overflowing_syncs()
    {
        var (m, tlb) = Boot(SwiotlbVariant.Modern);
        var orig = _orig.Add(0x123);
        var r = tlb.Map(Dev, orig, 1000, DmaDirection.FromDevice, minAlignMask: 0xfff);
        Assert.Equal(0x123UL, r.Address.Value & 0x7ff);
        m.Memory.Fill(r.Address, 4000, 0x5A);
        Assert.True(tlb.SyncForCpu(r.Address, 4000, DmaDirection.FromDevice));
        Assert.Contains(m.Events.LogLines(), l => l.StartsWith("swiotlb: Buffer overflow detected. Allocation size: 1000", StringComparison.Ordinal));
        Assert.Equal(0x5A, Read(m, orig.Add(999), 1)[0]);
        Assert.Equal(0, Read(m, orig.Add(1000), 1)[0]);
    }

    [Theory]
    [InlineData(SwiotlbVariant.Legacy, SwiotlbMapStatus.NotReachable, "map_single: bounce buffer is not DMA'ble")]
    [InlineData(SwiotlbVariant.Modern, SwiotlbMapStatus.NotReachable, "swiotlb addr 0x00000000bc000000+4096 overflow (mask ffffff, bus limit 0).")]
    public void A_pool_above_the_device_mask_is_refused(SwiotlbVariant variant, SwiotlbMapStatus status, string message)
    {
        var (_, tlb) = Boot(variant);
        var r = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice, dmaMask: DmaMask.Bits(24));
        Assert.Equal(status, r.Status);
        Assert.Equal(message, r.Message);
        if (variant == SwiotlbVariant.Modern) Assert.Equal(0, tlb.UsedSlots);
    }

    [Fact]
    public void Modern_areas_start_the_search_in_the_cpus_area()
    {
        var (_, tlb) = Boot(SwiotlbVariant.Modern, areas: 4, cpu: 1);
        var r = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice);
        Assert.Equal(tlb.Pool.Start.Add(8192 * 2 * KiB), r.Address);
        Assert.Throws<ArgumentException>(() => Boot(SwiotlbVariant.Modern, areas: 3));
    }

    [Fact]
    public void Invalid_requests_are_values_not_exceptions()
    {
        var (_, tlb) = Boot(SwiotlbVariant.Modern);
        Assert.Equal(SwiotlbMapStatus.Bug, tlb.Map(Dev, _orig, 4096, DmaDirection.None).Status);
        Assert.Equal(SwiotlbMapStatus.Bug, tlb.Map(Dev, _orig, 0, DmaDirection.ToDevice).Status);
        Assert.Equal(0, tlb.UsedSlots);
    }

    [Fact]
    public void A_machine_without_low_memory_cannot_place_the_pool()
    {
        var m = TestMachine.Create([TestMachine.Usable(0x0, 0x9ffff), TestMachine.Usable(0x100000, 0x1ffffff), TestMachine.Usable(0x100000000, 0x1ffffffff)]);
        // 31 MiB below 4 GiB: modern halves 64 -> 32 -> 16 MiB; 2.6.32 panics.
        var tlb = Swiotlb.Create(m.Allocator, m.Memory, m.Events, new SwiotlbConfig());
        Assert.Equal(16 * MiB, tlb.Pool.Size);
        var m2 = TestMachine.Create([TestMachine.Usable(0x0, 0x9ffff), TestMachine.Usable(0x100000, 0x1ffffff), TestMachine.Usable(0x100000000, 0x1ffffffff)]);
        Assert.Throws<DmaSim.Kernel.KernelPanicException>(() => Swiotlb.Create(m2.Allocator, m2.Memory, m2.Events, new SwiotlbConfig { Variant = SwiotlbVariant.Legacy }));
    }

    [Theory]
    [InlineData(SwiotlbVariant.Modern, SwiotlbMapStatus.Full)]
    [InlineData(SwiotlbVariant.Legacy, SwiotlbMapStatus.Panic)]
    public void A_mapping_of_terabytes_finds_no_slots_instead_of_wrapping_its_slot_count(SwiotlbVariant variant, SwiotlbMapStatus expected)
    {
        // Found by the long fuzz campaign: 0x3e047a8dc50b bytes is 3.3e10 slots, which an int count wrapped to a
        // small number; the map then "succeeded" and copied 62 TiB until the process ran out of memory.
        var (m, tlb) = Boot(variant);
        var touched = m.Memory.TouchedPages;
        var r = tlb.Map("dev", _orig, 0x3e047a8dc50b, DmaDirection.ToDevice);
        Assert.Equal(expected, r.Status);
        Assert.Equal(touched, m.Memory.TouchedPages);
    }
}
