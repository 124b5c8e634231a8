using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Payload writes and comparisons in place: what a driver's CPU does when it checks its own buffer (memcmp over its pages), without
/// copying the buffer out of simulated memory first. Unwritten pages compare as they read (zeros, or their pfn
/// sequence).
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
    /// bytes stores, computed straight into the pages (a driver filling its buffer, without a staging copy).
    /// </summary>
    public void WritePayload(PhysAddr address, ulong length, ulong key)
    {
        var a = address.Value;
        for (ulong done = 0; done < length;)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length - done);
            PayloadBytes.Fill(key, done, PageForWrite(a >> PageShift, n == PageSize).AsSpan(offset, n));
            done += (ulong)n;
            a += (ulong)n;
        }
    }

    /// <summary>Whether the <paramref name="length"/> bytes at <paramref name="address"/> are bytes [0, length) of the payload keyed by <paramref name="key"/>.</summary>
    public bool HoldsPayload(PhysAddr address, ulong length, ulong key)
    {
        var a = address.Value;
        for (ulong done = 0; done < length;)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length - done);
            var page = PageForRead(a >> PageShift);
            if (page is null)
            {
                var payload = new byte[n];
                PayloadBytes.Fill(key, done, payload);
                if (!UnmaterialisedEquals(a, payload)) return false;
            }
            else if (!PayloadBytes.Matches(key, done, page.AsSpan(offset, n))) return false;
            done += (ulong)n;
            a += (ulong)n;
        }
        return true;
    }

    // A page never written reads as zeros or as its pfn sequence: read it as Read would, then compare.
    private bool UnmaterialisedEquals(ulong address, ReadOnlySpan<byte> expected)
    {
        var bytes = new byte[expected.Length];
        Read(new PhysAddr(address), bytes);
        return bytes.AsSpan().SequenceEqual(expected);
    }
}
