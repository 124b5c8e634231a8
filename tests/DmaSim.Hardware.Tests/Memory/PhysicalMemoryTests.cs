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
    public void Zeros_copied_onto_an_unwritten_page_leave_it_unwritten_but_not_beyond_the_address_space()
    {
        var m = new PhysicalMemory(36);
        m.Copy(new PhysAddr(0x1000), new PhysAddr(0x5000), 4096);
        Assert.Equal(0, m.TouchedPages);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Copy(new PhysAddr(0x1000), new PhysAddr(1UL << 40), 16));
        m.WriteU64(new PhysAddr(0x5008), 9);
        m.Copy(new PhysAddr(0x1000), new PhysAddr(0x5000), 4096);
        Assert.Equal(0UL, m.ReadU64(new PhysAddr(0x5008)));
    }

    [Fact]
    public void Released_pages_come_back_zeroed_and_the_released_memory_refuses_use()
    {
        var first = new PhysicalMemory(40);
        // Written as bytes (a whole-page fill would be kept as a rule, with no host page to release).
        for (var p = 0UL; p < 8; p++) first.Write(new PhysAddr(p << 12), Enumerable.Repeat((byte)0xAB, 4096).ToArray());
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

/// <summary>In-place comparisons: the answers a copy out of memory and a comparison of the copy would give.</summary>
public class PhysicalMemoryCompareTests
{
    [Fact]
    public void In_place_comparisons_agree_with_reading_the_bytes_out()
    {
        Gen.Select(Gen.ULong, Gen.ULong[0, 0x3000], Gen.Int[1, 20000], Gen.Int[-1, 19999]).Sample((key, address, length, flip) =>
        {
            var m = new PhysicalMemory(40);
            var bytes = new byte[length];
            PayloadBytes.Fill(key, bytes);
            m.Write(new PhysAddr(address), bytes);
            if (flip >= 0) m.Fill(new PhysAddr(address + (ulong)(flip % length)), 1, (byte)(bytes[flip % length] ^ 0x10));
            var back = new byte[length];
            m.Read(new PhysAddr(address), back);
            Assert.Equal(back.AsSpan().SequenceEqual(bytes), m.ContentEquals(new PhysAddr(address), bytes));
            Assert.Equal(back.AsSpan().SequenceEqual(bytes), m.HoldsPayload(new PhysAddr(address), (ulong)length, key));
            Assert.Equal(flip < 0, m.ContentEquals(new PhysAddr(address), bytes));
        });
    }

    [Fact]
    public void Unwritten_pages_compare_as_they_read()
    {
        var m = new PhysicalMemory(40);
        Assert.True(m.ContentEquals(new PhysAddr(0x20_0000), new byte[5000]));
        Assert.False(m.HoldsPayload(new PhysAddr(0x20_0000), 4096, 5));
        m.FillWithPfnSequence(new PhysAddr(0x40_0000), 2, 0x100, 0x3);
        var words = new byte[8192];
        m.Read(new PhysAddr(0x40_0000), words);
        Assert.True(m.ContentEquals(new PhysAddr(0x40_0000), words));
        words[4100] ^= 1;
        Assert.False(m.ContentEquals(new PhysAddr(0x40_0000), words));
    }

    /// <summary>A recycled host page wholly overwritten skips its clearing; one written in part still reads zero elsewhere.</summary>
    [Fact]
    public void Recycled_pages_never_show_an_earlier_run_s_bytes()
    {
        var first = new PhysicalMemory(40);
        for (var p = 0UL; p < 16; p++) first.Fill(new PhysAddr(p << 12), 4096, 0xAB);
        first.ReleasePages();
        var next = new PhysicalMemory(40);
        next.Fill(new PhysAddr(0x2000), 4096, 0xCC);
        next.Write(new PhysAddr(0x3000), new byte[] { 1, 2, 3 });
        next.Write(new PhysAddr(0x4010), new byte[100]);
        next.Copy(new PhysAddr(0x2000), new PhysAddr(0x5000), 4096);
        var page = new byte[4096];
        next.Read(new PhysAddr(0x3000), page);
        Assert.Equal(new byte[] { 1, 2, 3 }, page[..3]);
        Assert.All(page[3..], b => Assert.Equal(0, b));
        next.Read(new PhysAddr(0x4000), page);
        Assert.All(page, b => Assert.Equal(0, b));
        next.Read(new PhysAddr(0x5000), page);
        Assert.All(page, b => Assert.Equal(0xCC, b));
    }

    /// <summary>A whole-page write over a pfn-sequence page replaces it entirely; its neighbours keep their words.</summary>
    [Fact]
    public void A_whole_page_write_replaces_a_pfn_sequence_page()
    {
        var m = new PhysicalMemory(40);
        m.FillWithPfnSequence(new PhysAddr(0x20_0000), 4, 0x100, 0x3);
        m.Fill(new PhysAddr(0x20_1000), 4096, 0x5A);
        Assert.True(m.ContentEquals(new PhysAddr(0x20_1000), Enumerable.Repeat((byte)0x5A, 4096).ToArray()));
        Assert.Equal((0x100UL << 12) | 3, m.ReadU64(new PhysAddr(0x20_0000)));
        Assert.Equal((0x500UL << 12) | 3, m.ReadU64(new PhysAddr(0x20_2000)));
    }

    /// <summary>A payload written straight into the pages is what a write of the drawn bytes stores, at any offset and length, over recycled and pfn-sequence pages too.</summary>
    [Fact]
    public void A_payload_written_in_place_equals_a_write_of_its_drawn_bytes()
    {
        Gen.Select(Gen.ULong[0, 3 * 4096], Gen.Int[0, 3 * 4096], Gen.ULong, Gen.Bool).Sample((offset, length, key, recycled) =>
        {
            if (recycled)
            {
                var earlier = new PhysicalMemory(40);
                for (var p = 0UL; p < 8; p++) earlier.Fill(new PhysAddr(0x10_0000 + (p << 12)), 4096, 0xAB);
                earlier.ReleasePages();
            }
            var inPlace = new PhysicalMemory(40);
            var staged = new PhysicalMemory(40);
            foreach (var m in new[] { inPlace, staged }) m.FillWithPfnSequence(new PhysAddr(0x10_0000), 8, 0x100, 0x3);
            var address = new PhysAddr(0x10_0000 + offset);
            inPlace.WritePayload(address, (ulong)length, key);
            var drawn = new byte[length];
            PayloadBytes.Fill(key, drawn);
            staged.Write(address, drawn);
            var a = new byte[8 * 4096];
            var b = new byte[8 * 4096];
            inPlace.Read(new PhysAddr(0x10_0000), a);
            staged.Read(new PhysAddr(0x10_0000), b);
            Assert.Equal(b, a);
            Assert.True(inPlace.HoldsPayload(address, (ulong)length, key));
            inPlace.ReleasePages();
            staged.ReleasePages();
        });
    }
}
