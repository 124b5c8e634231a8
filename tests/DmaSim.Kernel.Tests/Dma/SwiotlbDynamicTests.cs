using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Tests.Mm;

namespace DmaSim.Kernel.Tests.Dma;

/// <summary>CONFIG_SWIOTLB_DYNAMIC (6.6): transient pools when the pools are full, and the pool the dyn_alloc work adds.</summary>
public class SwiotlbDynamicTests
{
    private const ulong MiB = 1UL << 20, Below4G = (1UL << 32) - 1;
    private const string Dev = "0000:03:00.0";
    private static readonly PhysAddr _orig = new(0x200000000);

    private static (TestMachine M, Swiotlb Tlb) Boot(bool dynamic, ulong poolSize = 1 * MiB)
    {
        var m = TestMachine.Typical8G();
        var tlb = Swiotlb.Create(m.Allocator, m.Memory, m.Events, new SwiotlbConfig { PoolSize = poolSize, Dynamic = dynamic });
        return (m, tlb);
    }

    // Page-sized bounces until the boot pool has no slot left.
    private static void Fill(Swiotlb tlb, ulong size = 4096)
    {
        while (tlb.UsedSlots < tlb.TotalSlots) Assert.True(tlb.Map(Dev, _orig, size, DmaDirection.ToDevice).IsMapped);
    }

    [Fact]
    public void Without_the_option_a_full_pool_fails_the_map()
    {
        var (_, tlb) = Boot(dynamic: false);
        Fill(tlb);
        Assert.Equal(SwiotlbMapStatus.Full, tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice).Status);
        Assert.Equal(SwiotlbMapStatus.Full, tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice).Status);
        Assert.Equal(0, tlb.AddedPools);
    }

    [Fact]
    public void A_full_pool_serves_the_request_from_a_transient_pool_below_the_devices_mask_and_frees_it_at_unmap()
    {
        var (m, tlb) = Boot(dynamic: true);
        Fill(tlb);
        var data = new byte[4096];
        new Random(7).NextBytes(data);
        var orig = new PhysAddr(0x180000000);
        m.Memory.Write(orig, data);
        var freeBefore = m.Allocator.TotalFreePages;

        var r = tlb.Map(Dev, orig, 4096, DmaDirection.Bidirectional, dmaMask: DmaMask.Bits(32));

        Assert.True(r.IsMapped, r.Message);
        Assert.False(tlb.Pool.Contains(r.Address));
        Assert.True(r.Address.Value + 4095 <= Below4G);
        Assert.True(tlb.IsBounceAddress(r.Address));
        Assert.Equal(1, tlb.TransientPools);
        Assert.Equal(freeBefore - 1, m.Allocator.TotalFreePages);
        Assert.Equal(OwnerKind.SwiotlbPool, m.Owners.OwnerOf(r.Address).Kind);
        var bounced = new byte[4096];
        m.Memory.Read(r.Address, bounced);
        Assert.Equal(data, bounced);
        // The device writes the bounce page; unmap copies it back and gives the page back.
        m.Memory.Fill(r.Address, 4096, 0xA5);
        Assert.True(tlb.Unmap(r.Address, 4096, DmaDirection.Bidirectional));
        var back = new byte[4096];
        m.Memory.Read(orig, back);
        Assert.All(back, b => Assert.Equal(0xA5, b));
        Assert.Equal(0, tlb.TransientPools);
        Assert.False(tlb.IsBounceAddress(r.Address));
        Assert.Equal(freeBefore, m.Allocator.TotalFreePages);
        Assert.Equal(OwnerKind.Free, m.Owners.OwnerOf(r.Address).Kind);
    }

    [Fact]
    public void A_transient_pool_lies_below_the_devices_own_limit_not_below_4_GiB()
    {
        var (_, tlb) = Boot(dynamic: true);
        Fill(tlb);
        var wide = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice);
        var narrow = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice, dmaMask: DmaMask.Bits(32));
        // GFP_NOWAIT with no zone modifier for a 64-bit device: the Normal zone serves first.
        Assert.True(wide.Address.Value > Below4G, $"{wide.Address}");
        Assert.True(narrow.Address.Value <= Below4G, $"{narrow.Address}");
    }

    [Fact]
    public void The_search_after_a_full_one_finds_the_pool_the_dyn_alloc_work_added()
    {
        var (_, tlb) = Boot(dynamic: true);
        Fill(tlb);
        Assert.True(tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice).IsMapped);
        Assert.Equal(0, tlb.AddedPools);

        var next = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice, dmaMask: DmaMask.Bits(32));

        Assert.Equal(1, tlb.AddedPools);
        Assert.Equal(1, tlb.TransientPools);
        Assert.Equal(512 + 512, tlb.TotalSlots);
        Assert.True(next.IsMapped);
        Assert.False(tlb.Pool.Contains(next.Address));
        Assert.True(next.Address.Value <= Below4G);
        Assert.True(tlb.Unmap(next.Address, 4096, DmaDirection.ToDevice));
        Assert.Equal(1, tlb.AddedPools);
    }

    [Fact]
    public void An_added_pool_is_at_most_one_max_order_block()
    {
        var (_, tlb) = Boot(dynamic: true, poolSize: 64 * MiB);
        Fill(tlb, 256 << 10);
        Assert.True(tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice).IsMapped);
        Assert.True(tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice).IsMapped);
        Assert.Equal(32768 + 2048, tlb.TotalSlots);
    }

    [Fact]
    public void Without_memory_below_the_limit_the_transient_pool_fails_and_the_map_reports_a_full_buffer()
    {
        var (m, tlb) = Boot(dynamic: true);
        Fill(tlb);
        // Take every page below 4 GiB (16 MiB of DMA, then DMA32) so no pool can be placed within a 32-bit mask.
        while (m.Allocator.AllocPages(0, DmaSim.Kernel.Mm.Gfp.Dma32, new FrameOwner(OwnerKind.KernelBuffer)) is not null) { }
        var r = tlb.Map(Dev, _orig, 4096, DmaDirection.ToDevice, dmaMask: DmaMask.Bits(32));
        Assert.Equal(SwiotlbMapStatus.Full, r.Status);
        Assert.Equal(0, tlb.TransientPools);
    }
}
