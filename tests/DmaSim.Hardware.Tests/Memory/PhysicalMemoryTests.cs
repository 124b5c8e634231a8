using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Tests.Memory;

public class PhysicalMemoryTests
{
    [Fact]
    public void Untouched_memory_reads_zero_and_costs_nothing()
    {
        var m = new PhysicalMemory(44);
        var buf = new byte[16];
        m.Read(new PhysAddr(0xFFF_0000_0000), buf);
        Assert.All(buf, b => Assert.Equal(0, b));
        Assert.Equal(0, m.TouchedPages);
    }

    [Fact]
    public void Writes_across_a_page_boundary_read_back()
    {
        var m = new PhysicalMemory(40);
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        m.Write(new PhysAddr(0x1FFC0), data);
        var back = new byte[100];
        m.Read(new PhysAddr(0x1FFC0), back);
        Assert.Equal(data, back);
        Assert.Equal(2, m.TouchedPages);
    }

    [Fact]
    public void A_write_beyond_the_physical_address_width_is_refused()
    {
        var m = new PhysicalMemory(36);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.WriteU64(new PhysAddr(1UL << 36), 1));
    }

    [Fact]
    public void Owners_behave_like_a_per_page_dictionary()
    {
        Gen.Select(Gen.ULong[0, 200], Gen.ULong[0, 20], Gen.Int[0, 3]).Array[1, 40].Sample(ops =>
        {
            var owners = new FrameOwners();
            var oracle = new Dictionary<ulong, FrameOwner>();
            var tags = new[] { FrameOwner.Free, new FrameOwner(OwnerKind.KernelBuffer, "d", "a"), new FrameOwner(OwnerKind.Rmrr), new FrameOwner(OwnerKind.VtdTable) };
            foreach (var (first, len, tag) in ops)
            {
                owners.AssignPfns(first, first + len, tags[tag]);
                for (var p = first; p <= first + len; p++) oracle[p] = tags[tag];
            }
            for (ulong p = 0; p < 230; p++)
                Assert.Equal(oracle.GetValueOrDefault(p, FrameOwner.Hole), owners.OwnerOfPfn(p));
        });
    }

    /// <summary>A finished run's pages serve the next machine on the thread, zeroed; the old memory is unusable.</summary>
    [Fact]
    public void Released_pages_come_back_zeroed_and_the_released_memory_refuses_use()
    {
        var first = new PhysicalMemory(40);
        for (var p = 0UL; p < 8; p++) first.Fill(new PhysAddr(p << 12), 4096, 0xAB);
        first.ReleasePages();
        Assert.Throws<InvalidOperationException>(() => first.ReadU64(new PhysAddr(0x1000)));
        Assert.Throws<InvalidOperationException>(() => first.WriteU64(new PhysAddr(0x9000), 1));
        var next = new PhysicalMemory(40);
        var before = GC.GetAllocatedBytesForCurrentThread();
        next.WriteU64(new PhysAddr(0x5000), 7);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4096, "the page came from the pool");
        var page = new byte[4096];
        next.Read(new PhysAddr(0x5000), page);
        Assert.Equal(7, page[0]);
        Assert.All(page[8..], b => Assert.Equal(0, b));
    }
}
