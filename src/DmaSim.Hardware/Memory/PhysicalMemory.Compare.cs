using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Payload writes and comparisons in place: what a driver's CPU does when it fills or checks its own buffer (memcmp
/// over its pages), without copying the buffer out of simulated memory first. Unwritten pages compare as they read
/// (zeros, their pfn sequence, or their rule).
/// </summary>
public sealed partial class PhysicalMemory
{
    /// <summary>Whether the bytes at <paramref name="address"/> are exactly <paramref name="expected"/>.</summary>
    public bool ContentEquals(PhysAddr address, ReadOnlySpan<byte> expected)
    {
        var a = address.Value;
        while (!expected.IsEmpty)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = Math.Min(PageSize - offset, expected.Length);
            var page = PageForRead(a >> PageShift);
            if (page is not null ? !page.AsSpan(offset, n).SequenceEqual(expected[..n]) : !UnmaterialisedEquals(a, expected[..n])) return false;
            expected = expected[n..];
            a += (ulong)n;
        }
        return true;
    }

    /// <summary>
    /// Writes bytes [0, <paramref name="length"/>) of the payload keyed by <paramref name="key"/> at
    /// <paramref name="address"/>: what <see cref="Write"/> of <see cref="PayloadBytes.Fill(ulong, Span{byte})"/>'s
    /// bytes stores (a driver filling its buffer, without a staging copy).
    /// </summary>
    public void WritePayload(PhysAddr address, ulong length, ulong key) => WritePayload(address, length, key, 0);

    /// <summary>
    /// Writes bytes [<paramref name="firstByte"/>, firstByte + <paramref name="length"/>) of the payload keyed by
    /// <paramref name="key"/> at <paramref name="address"/>. A whole page becomes a <see cref="PageRule"/>
    /// (no bytes computed until something reads them); a part of a page is computed into its bytes.
    /// </summary>
    public void WritePayload(PhysAddr address, ulong length, ulong key, ulong firstByte)
    {
        foreach (var c in PageChunk.Of(address.Value, length))
        {
            if (c.Length == PageSize) SetRule(c.Pfn, PageRule.Payload(key, firstByte + c.Done));
            else PayloadBytes.Fill(key, firstByte + c.Done, PageForWrite(c.Pfn).AsSpan(c.Offset, c.Length));
        }
    }

    /// <summary>Whether the <paramref name="length"/> bytes at <paramref name="address"/> are bytes [0, length) of the payload keyed by <paramref name="key"/>.</summary>
    public bool HoldsPayload(PhysAddr address, ulong length, ulong key) => HoldsPayload(address, length, key, 0);

    /// <summary>
    /// Whether the <paramref name="length"/> bytes at <paramref name="address"/> are bytes [<paramref name="firstByte"/>,
    /// firstByte + length) of the payload keyed by <paramref name="key"/>. A page whose rule is that very run
    /// answers at once; any other page is compared byte for byte.
    /// </summary>
    public bool HoldsPayload(PhysAddr address, ulong length, ulong key, ulong firstByte)
    {
        foreach (var c in PageChunk.Of(address.Value, length))
        {
            var at = firstByte + c.Done;
            var page = PageForRead(c.Pfn);
            if (page is not null)
            {
                if (!PayloadBytes.Matches(key, at, page.AsSpan(c.Offset, c.Length))) return false;
            }
            else if (!(_rules.TryGetValue(c.Pfn, out var rule) && rule.IsPayloadRun(key, at, c.Offset))
                && !UnmaterialisedHoldsPayload(c.Pfn, c.Offset, c.Length, key, at)) return false;
        }
        return true;
    }

    // A page with no host array and no rule of that very run: its bytes as they read, compared.
    private bool UnmaterialisedHoldsPayload(ulong pfn, int offset, int length, ulong key, ulong firstByte)
    {
        Span<byte> bytes = stackalloc byte[length];
        if (!TryReadUnmaterialised(pfn, offset, bytes)) bytes.Clear();
        return PayloadBytes.Matches(key, firstByte, bytes);
    }

    // A page never written reads as zeros or as its pfn sequence: read it as Read would, then compare.
    private bool UnmaterialisedEquals(ulong address, ReadOnlySpan<byte> expected)
    {
        var bytes = new byte[expected.Length];
        Read(new PhysAddr(address), bytes);
        return bytes.AsSpan().SequenceEqual(expected);
    }
}
