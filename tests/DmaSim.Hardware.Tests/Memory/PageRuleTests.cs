using System.Buffers.Binary;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Tests.Memory;

/// <summary>
/// Whole pages written by one rule (a fill, a payload run, a copy of such a page) read exactly as the bytes
/// the same operations would have stored, through every accessor and after any later partial write; and the
/// touched-page count is the one a byte-by-byte memory reports.
/// </summary>
public class PageRuleTests
{
    private const ulong Base = 0x1_0000_0000;
    private const int Pages = 8;
    private const int Window = Pages * 4096;

    private sealed record Op(int Kind, int Offset, int Length, int Other, byte Value, ulong Key, ulong FirstByte);

    // Half the operations start on a page and cover whole pages, so rules are made, copied and broken up often.
    private static readonly Gen<Op> _ops =
        Gen.Select(Gen.Int[0, 8], Gen.Bool, Gen.Int[0, Window - 1], Gen.Int[1, 3 * 4096], Gen.Int[0, Window - 1], Gen.Byte, Gen.ULong[0, 3], Gen.ULong[0, 9000])
            .Select((kind, whole, offset, length, other, value, key, first) =>
            {
                if (whole)
                {
                    offset &= ~4095;
                    length = Math.Max(4096, length & ~4095);
                    other &= ~4095;
                }
                return new Op(kind, offset, Math.Min(length, Window - offset), other, value, key, whole ? first & ~4095UL : first);
            });

    [Fact]
    public void Rule_pages_read_as_the_bytes_the_same_operations_store_through_every_accessor() =>
        _ops.Array[1, 40].Sample(ops =>
        {
            var memory = new PhysicalMemory(40);
            var model = new byte[Window];
            var touched = new bool[Pages];
            foreach (var op in ops)
            {
                Apply(memory, op);
                Apply(model, touched, op);
                Check(memory, model, op);
                Assert.Equal(touched.Count(t => t), memory.TouchedPages);
            }
            var all = new byte[Window];
            memory.Read(new PhysAddr(Base), all);
            Assert.Equal(model, all);
        }, iter: 300);

    [Fact]
    public void A_payload_written_as_whole_pages_keeps_no_host_page_until_a_partial_write_breaks_one_up()
    {
        var memory = new PhysicalMemory(40);
        memory.WritePayload(new PhysAddr(Base), 4 * 4096, key: 7);
        Assert.True(memory.HoldsPayload(new PhysAddr(Base), 4 * 4096, 7));
        Assert.True(memory.HoldsPayload(new PhysAddr(Base + 4096 + 100), 50, 7, 4096 + 100));
        Assert.False(memory.HoldsPayload(new PhysAddr(Base), 4 * 4096, 8));
        Assert.Equal(4, memory.TouchedPages);
        memory.WriteU32(new PhysAddr(Base + 8192 + 12), 0xdead_beef);
        Assert.False(memory.HoldsPayload(new PhysAddr(Base), 4 * 4096, 7));
        Assert.True(memory.HoldsPayload(new PhysAddr(Base + 8192 + 16), 4096 - 16, 7, 8192 + 16));
        Assert.Equal(4, memory.TouchedPages);
        var expected = new byte[4 * 4096];
        PayloadBytes.Fill(7, expected);
        BinaryPrimitives.WriteUInt32LittleEndian(expected.AsSpan(8192 + 12), 0xdead_beef);
        var got = new byte[4 * 4096];
        memory.Read(new PhysAddr(Base), got);
        Assert.Equal(expected, got);
    }

    private static void Apply(PhysicalMemory m, Op op)
    {
        var at = new PhysAddr(Base + (ulong)op.Offset);
        switch (op.Kind)
        {
            case 0: m.Write(at, Enumerable.Repeat(op.Value, op.Length).ToArray()); break;
            case 1: m.Fill(at, (ulong)op.Length, op.Value); break;
            case 2: m.Fill(at, (ulong)op.Length, 0); break;
            case 3: m.WritePayload(at, (ulong)op.Length, op.Key, op.FirstByte); break;
            case 4: if (CopyLength(op) is var n && n > 0) m.Copy(new PhysAddr(Base + (ulong)op.Other), at, (ulong)n); break;
            case 5: m.Discard(at.Pfn); break;
            case 6: if (op.Offset % 4096 <= 4088) m.WriteU64(at, op.Key * 0x0101_0101_0101_0101); break;
            default: break; // reads only
        }
    }

    // The reference: the bytes each operation stores, and the pages a byte-by-byte memory would have materialised.
    private static void Apply(byte[] model, bool[] touched, Op op)
    {
        var span = model.AsSpan(op.Offset, op.Length);
        switch (op.Kind)
        {
            case 0: span.Fill(op.Value); Touch(touched, op.Offset, op.Length); break;
            case 1 or 2:
                var value = op.Kind == 2 ? (byte)0 : op.Value;
                span.Fill(value);
                // Zeros written over a page nobody wrote leave it unwritten (it reads as zeros anyway).
                for (var p = op.Offset / 4096; p <= (op.Offset + op.Length - 1) / 4096; p++) touched[p] |= value != 0;
                break;
            case 3: PayloadBytes.Fill(op.Key, op.FirstByte, span); Touch(touched, op.Offset, op.Length); break;
            case 4:
                if (CopyLength(op) is var n && n > 0)
                {
                    model.AsSpan(op.Other, n).ToArray().CopyTo(model.AsSpan(op.Offset, n));
                    TouchCopied(touched, op.Other, op.Offset, n);
                }
                break;
            case 5:
                model.AsSpan(op.Offset & ~4095, 4096).Clear();
                touched[op.Offset / 4096] = false;
                break;
            case 6:
                if (op.Offset % 4096 <= 4088)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(model.AsSpan(op.Offset), op.Key * 0x0101_0101_0101_0101);
                    Touch(touched, op.Offset, 8);
                }
                break;
            default: break;
        }
    }

    // A copy goes chunk by chunk (each within one source and one destination page); a chunk from an unwritten
    // page onto an unwritten page leaves both unwritten: zeros onto zeros.
    private static void TouchCopied(bool[] touched, int from, int to, int length)
    {
        while (length > 0)
        {
            var n = Math.Min(4096 - Math.Max(from % 4096, to % 4096), length);
            touched[to / 4096] |= touched[from / 4096];
            from += n;
            to += n;
            length -= n;
        }
    }

    private static void Touch(bool[] touched, int offset, int length)
    {
        for (var p = offset / 4096; p <= (offset + length - 1) / 4096; p++) touched[p] = true;
    }

    // Copies stay inside the window and never overlap (the memory's Copy does not expect overlap).
    private static int CopyLength(Op op)
    {
        var n = Math.Min(op.Length, Window - Math.Max(op.Offset, op.Other));
        return op.Offset < op.Other + n && op.Other < op.Offset + n ? 0 : n;
    }

    private static void Check(PhysicalMemory m, byte[] model, Op op)
    {
        var at = new PhysAddr(Base + (ulong)op.Offset);
        var want = model.AsSpan(op.Offset, op.Length);
        var got = new byte[op.Length];
        m.Read(at, got);
        Assert.Equal(want.ToArray(), got);
        Assert.True(m.ContentEquals(at, want));
        Assert.Equal(!want.ContainsAnyExcept((byte)0), m.IsZero(at, (ulong)op.Length));
        Assert.Equal(PayloadBytes.Matches(op.Key, op.FirstByte, want), m.HoldsPayload(at, (ulong)op.Length, op.Key, op.FirstByte));
        if (op.Offset % 4096 <= 4088) Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(model.AsSpan(op.Offset)), m.ReadU64(at));
        if (op.Offset % 4096 <= 4092) Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(model.AsSpan(op.Offset)), m.ReadU32(at));
        var page = op.Offset & ~4095;
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(model.AsSpan(page, 4096));
        Assert.Equal(words.Length - words.Count(0UL), m.NonZeroWords(new PhysAddr(Base + (ulong)page)));
    }
}
