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
        var a = address.Value;
        for (ulong done = 0; done < length;)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length - done);
            if (n == PageSize) SetRule(a >> PageShift, PageRule.Payload(key, firstByte + done));
            else PayloadBytes.Fill(key, firstByte + done, PageForWrite(a >> PageShift).AsSpan(offset, n));
            done += (ulong)n;
            a += (ulong)n;
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
        var a = address.Value;
        for (ulong done = 0; done < length;)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length - done);
            var page = PageForRead(a >> PageShift);
            if (page is not null)
            {
                if (!PayloadBytes.Matches(key, firstByte + done, page.AsSpan(offset, n))) return false;
            }
            else if (!(_rules.TryGetValue(a >> PageShift, out var rule) && rule.IsPayloadRun(key, firstByte + done, offset))
                && !UnmaterialisedHoldsPayload(a >> PageShift, offset, n, key, firstByte + done)) return false;
            done += (ulong)n;
            a += (ulong)n;
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
