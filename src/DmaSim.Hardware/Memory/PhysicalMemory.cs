using System.Buffers.Binary;
using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Byte-accurate, sparse physical memory: a 4 KiB page materialises the first time it is written and
/// reads as zeros before that, so a 16 TiB machine costs only what a run touches.
/// </summary>
public sealed class PhysicalMemory
{
    private const int PageShift = PhysAddr.PageShift;
    private const int PageSize = 1 << PageShift;
    private readonly Dictionary<ulong, byte[]> _pages = [];
    private ulong _lastPfn = ulong.MaxValue;
    private byte[]? _lastPage;

    public PhysicalMemory(int physicalAddressBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(physicalAddressBits, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(physicalAddressBits, 52);
        PhysicalAddressBits = physicalAddressBits;
        Limit = DmaMask.Bits(physicalAddressBits);
    }

    /// <summary>CPU MAXPHYADDR.</summary>
    public int PhysicalAddressBits { get; }

    /// <summary>Highest addressable byte.</summary>
    public ulong Limit { get; }

    /// <summary>Pages that have been materialised (host memory actually used).</summary>
    public int TouchedPages => _pages.Count;

    private byte[]? PageForRead(ulong pfn)
    {
        if (pfn == _lastPfn) return _lastPage;
        return _pages.TryGetValue(pfn, out var p) ? Cache(pfn, p) : null;
    }

    private byte[] PageForWrite(ulong pfn)
    {
        if (pfn == _lastPfn && _lastPage is not null) return _lastPage;
        if (!_pages.TryGetValue(pfn, out var p))
        {
            if ((pfn << PageShift) > Limit) throw new ArgumentOutOfRangeException(nameof(pfn), $"page {Hex.Format(pfn << PageShift)} is beyond the {PhysicalAddressBits}-bit physical address space");
            p = new byte[PageSize];
            _pages[pfn] = p;
        }
        return Cache(pfn, p);
    }

    private byte[] Cache(ulong pfn, byte[] page)
    {
        _lastPfn = pfn;
        _lastPage = page;
        return page;
    }

    public void Read(PhysAddr address, Span<byte> destination)
    {
        var a = address.Value;
        while (!destination.IsEmpty)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = Math.Min(PageSize - offset, destination.Length);
            var page = PageForRead(a >> PageShift);
            if (page is null) destination[..n].Clear();
            else page.AsSpan(offset, n).CopyTo(destination);
            destination = destination[n..];
            a += (ulong)n;
        }
    }

    public void Write(PhysAddr address, ReadOnlySpan<byte> source)
    {
        var a = address.Value;
        while (!source.IsEmpty)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = Math.Min(PageSize - offset, source.Length);
            source[..n].CopyTo(PageForWrite(a >> PageShift).AsSpan(offset, n));
            source = source[n..];
            a += (ulong)n;
        }
    }

    public void Fill(PhysAddr address, ulong length, byte value)
    {
        var a = address.Value;
        while (length > 0)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length);
            if (value == 0 && PageForRead(a >> PageShift) is null) { /* already zero */ }
            else PageForWrite(a >> PageShift).AsSpan(offset, n).Fill(value);
            length -= (ulong)n;
            a += (ulong)n;
        }
    }

    /// <summary>Copy within physical memory (bounce buffers); overlapping copies are not expected.</summary>
    public void Copy(PhysAddr from, PhysAddr to, ulong length)
    {
        Span<byte> chunk = stackalloc byte[512];
        while (length > 0)
        {
            var n = (int)Math.Min((ulong)chunk.Length, length);
            Read(from, chunk[..n]);
            Write(to, chunk[..n]);
            from = from.Add((ulong)n);
            to = to.Add((ulong)n);
            length -= (ulong)n;
        }
    }

    /// <summary>Little-endian 64-bit read (VT-d tables are little-endian); must not cross a page.</summary>
    public ulong ReadU64(PhysAddr address)
    {
        var page = PageForRead(address.Value >> PageShift);
        if (page is null) return 0;
        return BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan((int)(address.Value & (PageSize - 1)), 8));
    }

    public void WriteU64(PhysAddr address, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(PageForWrite(address.Value >> PageShift).AsSpan((int)(address.Value & (PageSize - 1)), 8), value);

    public uint ReadU32(PhysAddr address)
    {
        Span<byte> b = stackalloc byte[4];
        Read(address, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void WriteU32(PhysAddr address, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(address, b);
    }

    /// <summary>Drops a page's contents (hot-remove, or freeing a page the model wants to forget).</summary>
    public void Discard(ulong pfn)
    {
        _pages.Remove(pfn);
        if (pfn == _lastPfn) { _lastPfn = ulong.MaxValue; _lastPage = null; }
    }
}
