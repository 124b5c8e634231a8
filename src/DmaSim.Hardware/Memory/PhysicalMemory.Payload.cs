using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Payload bytes (<see cref="PayloadBytes"/>) written into and compared against physical memory page by page:
/// what a driver's CPU does when it fills a buffer and later checks it, without a host-side copy of the
/// buffer in between. The bytes in memory are exactly those of one fill of a host buffer and a Write of it.
/// </summary>
public sealed partial class PhysicalMemory
{
    /// <summary>Writes bytes [0, <paramref name="length"/>) of the payload keyed by <paramref name="key"/> at <paramref name="address"/>.</summary>
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
            if (page is not null ? !PayloadBytes.Matches(key, done, page.AsSpan(offset, n)) : !UnmaterialisedHolds(a, n, key, done)) return false;
            done += (ulong)n;
            a += (ulong)n;
        }
        return true;
    }

    // A page never written reads as zeros or as its pfn sequence: read it as Read would, then compare.
    private bool UnmaterialisedHolds(ulong address, int length, ulong key, ulong payloadOffset)
    {
        var bytes = new byte[length];
        Read(new PhysAddr(address), bytes);
        return PayloadBytes.Matches(key, payloadOffset, bytes);
    }
}
