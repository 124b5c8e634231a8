using System.Buffers.Binary;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Tests.Memory;

/// <summary>
/// Pages kept as a pfn sequence read exactly like pages whose words were written one by one, through every
/// accessor, before and after writes, copies, fills and discards — and cost no host page until written.
/// </summary>
public class PfnSequenceTests
{
    private const ulong Base = 0x4000_0000; // a 512-page aligned block
    private const int Window = 1024 * 4096; // two blocks

    private sealed record Access(int Kind, int Offset, int Length, int Other, byte Value);

    private static readonly Gen<Access> _accesses =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, Window - 1], Gen.Int[1, 9000], Gen.Int[0, Window - 1], Gen.Byte)
            .Select((k, o, l, x, v) => new Access(k, o, Math.Min(l, Window - o), x, v));

    // Sequences over a prefix of the first block and a middle part of the second, as real runs lie.
    private static void Lay(PhysicalMemory m, bool asRule)
    {
        foreach (var (firstPage, pages, firstPfn, low) in new[] { (0UL, 512UL, 0x1234_5000UL, 3UL), (512 + 40UL, 100UL, 0x77UL, 1UL) })
        {
            if (asRule) m.FillWithPfnSequence(new PhysAddr(Base + (firstPage * 4096)), pages, firstPfn, low);
            else
                for (ulong w = 0; w < pages * 512; w++)
                    m.WriteU64(new PhysAddr(Base + (firstPage * 4096) + (w * 8)), ((firstPfn + w) << 12) | low);
        }
    }

    [Fact]
    public void A_sequence_reads_as_its_words_written_one_by_one_through_every_access() =>
        _accesses.Array[1, 30].Sample(accesses =>
        {
            var rule = new PhysicalMemory(40);
            var bytes = new PhysicalMemory(40);
            Lay(rule, asRule: true);
            Lay(bytes, asRule: false);
            Assert.Equal(0, rule.TouchedPages);
            foreach (var a in accesses)
            {
                Apply(rule, a);
                Apply(bytes, a);
                Assert.Equal(Observe(bytes, a), Observe(rule, a));
            }
            var all = new byte[Window];
            var expected = new byte[Window];
            rule.Read(new PhysAddr(Base), all);
            bytes.Read(new PhysAddr(Base), expected);
            Assert.Equal(expected, all);
            Assert.True(rule.TouchedPages <= bytes.TouchedPages);
        }, iter: 200);

    private static void Apply(PhysicalMemory m, Access a)
    {
        var at = new PhysAddr(Base + (ulong)a.Offset);
        switch (a.Kind)
        {
            case 0: m.Write(at, Enumerable.Repeat(a.Value, a.Length).ToArray()); break;
            case 1: m.Fill(at, (ulong)a.Length, a.Value == 0 ? (byte)0 : a.Value); break;
            case 2: m.Fill(at, (ulong)a.Length, 0); break;
            case 3: m.Copy(new PhysAddr(Base + (ulong)a.Other), at, (ulong)Math.Min(a.Length, Window - Math.Max(a.Offset, a.Other))); break;
            case 4: m.Discard(at.Pfn); break;
            case 5: if ((a.Offset & 7) <= 0 && a.Offset % 4096 <= 4088) m.WriteU64(at, (ulong)a.Other * 0x10001); break;
            default: break; // reads only
        }
    }

    private static (ulong, uint, bool, string) Observe(PhysicalMemory m, Access a)
    {
        var at = new PhysAddr(Base + (ulong)a.Offset);
        var u64 = a.Offset % 4096 <= 4088 ? m.ReadU64(at) : 0;
        var u32 = m.ReadU32(at);
        var zero = m.IsZero(at, (ulong)a.Length);
        var span = new byte[a.Length];
        m.Read(at, span);
        return (u64, u32, zero, Convert.ToHexString(span));
    }

    [Fact]
    public void Only_written_pages_of_a_sequence_cost_a_host_page()
    {
        var m = new PhysicalMemory(40);
        m.FillWithPfnSequence(new PhysAddr(Base), 512, 0x100, 3);
        Assert.Equal(((0x100UL + 512 + 7) << 12) | 3, m.ReadU64(new PhysAddr(Base + 4096 + 56)));
        Assert.False(m.IsZero(new PhysAddr(Base), 4096 * 512));
        // Word 0 is 0x100003: its bytes 3..7 are zero, and IsZero says so (found by the property above).
        Assert.True(m.IsZero(new PhysAddr(Base + 3), 5));
        Assert.False(m.IsZero(new PhysAddr(Base + 2), 5));
        m.WriteU32(new PhysAddr(Base + (5 * 4096) + 8), 0xFFFF_FFFF);
        Assert.Equal(1, m.TouchedPages);
        var page = new byte[4096];
        m.Read(new PhysAddr(Base + (5 * 4096)), page);
        Assert.Equal(((0x100UL + (5 * 512)) << 12) | 3, BinaryPrimitives.ReadUInt64LittleEndian(page));
        Assert.Equal(0xFFFF_FFFFU, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(8)));
        m.Discard(Base / 4096);
        Assert.True(m.IsZero(new PhysAddr(Base), 4096));
        Assert.Equal(512, m.NonZeroWords(new PhysAddr(Base + 4096)));
        Assert.Equal(0, m.NonZeroWords(new PhysAddr(Base)));
    }

    [Fact]
    public void A_run_that_leaves_its_512_page_block_is_refused()
    {
        var m = new PhysicalMemory(40);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.FillWithPfnSequence(new PhysAddr(Base + 4096), 512, 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.FillWithPfnSequence(new PhysAddr(Base), 1, 0, 0));
    }
}
