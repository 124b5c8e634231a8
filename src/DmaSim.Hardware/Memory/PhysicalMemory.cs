using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Byte-accurate, sparse physical memory: a 4 KiB page materialises the first time it is written (zeros copied
/// onto it from a page nobody wrote do not count: <see cref="Copy"/>) and reads as zeros before that, so a 16 TiB machine costs only what a run touches. Pages filled with
/// <see cref="FillWithPfnSequence"/> (identity-map page tables) are kept as their rule until written, and
/// so are whole pages written by one <see cref="PageRule"/> (<see cref="Fill"/>, <see cref="WritePayload(PhysAddr, ulong, ulong, ulong)"/>,
/// and <see cref="Copy"/> of such a page).
/// </summary>
public sealed partial class PhysicalMemory
{
    private const int PageShift = PhysAddr.PageShift;
    private const int PageSize = 1 << PageShift;
    // A direct-mapped cache of materialised pages in front of the dictionary, like a small TLB: a VT-d walk
    // touches 3-5 table pages and a bounce copies between two, so one "last page" slot thrashed. Only
    // materialised pages are cached; a slot is keyed by its pfn (ulong.MaxValue = empty, never a real pfn).
    private const int CacheSlots = 64;
    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly CachedPage[] _cache = new CachedPage[CacheSlots];
    private readonly PfnSequencePages _sequences = new();
    // Whole pages holding a rule's bytes (no host array); a pfn is in at most one of _pages, _rules, _sequences.
    private readonly Dictionary<ulong, PageRule> _rules = [];
    // Materialised pages per 512-page block, so laying a pfn sequence over a fresh block skips 512 look-ups.
    private readonly Dictionary<ulong, int> _pagesPerBlock = [];

    // A struct slot: storing the array reference into a struct field needs no covariance check (stelem.ref).
    private struct CachedPage
    {
        public ulong Pfn;
        public byte[]? Page;
    }

    public PhysicalMemory(int physicalAddressBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(physicalAddressBits, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(physicalAddressBits, 52);
        PhysicalAddressBits = physicalAddressBits;
        Limit = DmaMask.Bits(physicalAddressBits);
        for (var i = 0; i < CacheSlots; i++) _cache[i].Pfn = ulong.MaxValue;
    }

    /// <summary>CPU MAXPHYADDR.</summary>
    public int PhysicalAddressBits { get; }

    /// <summary>Highest addressable byte.</summary>
    public ulong Limit { get; }

    /// <summary>
    /// Changes whenever a page's host array leaves the page map (the page is discarded, laid over by a pfn
    /// sequence or a rule, or the run releases its pages): while it is unchanged, an array <see cref="HostPageOf"/>
    /// returned still holds that page's bytes, and writes to the page go into it.
    /// </summary>
    public long HostPageEpoch { get; private set; }

    /// <summary>
    /// The host array of a page that holds ordinary bytes (written at least once since it was last discarded), or
    /// null (never written, or only copied zeros onto, or held as a rule or a pfn sequence: read those with <see cref="ReadU64"/>).
    /// </summary>
    public byte[]? HostPageOf(ulong pfn) => PageForRead(pfn);

    /// <summary>Pages written so far and not discarded (zeros copied onto an unwritten page leave it unwritten): as bytes (host memory used) or as a <see cref="PageRule"/>.</summary>
    public int TouchedPages => _pages.Count + _rules.Count;

    // Host pages of machines whose run is over, per thread (a sweep runs one machine after another on each
    // worker): a new page is taken from here and zeroed, instead of a fresh array per page per run.
    [ThreadStatic] private static Stack<byte[]>? _freePages;
    private const int MaxFreePages = 4096; // 16 MiB of host memory per thread at most
    private bool _released;

    /// <summary>
    /// The run is over: every page's host array goes back to this thread's pool for the next machine. The
    /// memory must not be used afterwards (any page access throws).
    /// </summary>
    public void ReleasePages()
    {
        if (_released) return;
        _released = true;
        HostPageEpoch++;
        var pool = _freePages ??= new Stack<byte[]>();
        foreach (var page in _pages.Values)
            if (pool.Count < MaxFreePages) pool.Push(page);
        _pages.Clear();
        _rules.Clear();
        _sequences.Clear();
        _pagesPerBlock.Clear();
        for (var i = 0; i < CacheSlots; i++) _cache[i] = new CachedPage { Pfn = ulong.MaxValue };
    }

    private void ThrowIfReleased()
    {
        if (_released) throw new InvalidOperationException("physical memory used after its run released the pages");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[]? PageForRead(ulong pfn)
    {
        ref var c = ref _cache[(int)pfn & (CacheSlots - 1)];
        if (c.Pfn == pfn) return c.Page;
        return PageForReadSlow(pfn);
    }

    private byte[]? PageForReadSlow(ulong pfn)
    {
        ThrowIfReleased();
        return _pages.TryGetValue(pfn, out var p) ? Cache(pfn, p) : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[] PageForWrite(ulong pfn)
    {
        ref var c = ref _cache[(int)pfn & (CacheSlots - 1)];
        if (c.Pfn == pfn) return c.Page!;
        return MaterialisePage(pfn);
    }

    /// <summary>The page's host array for a write; <paramref name="whollyOverwritten"/>: the caller writes all of it next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[] PageForWrite(ulong pfn, bool whollyOverwritten)
    {
        ref var c = ref _cache[(int)pfn & (CacheSlots - 1)];
        if (c.Pfn == pfn) return c.Page!;
        return MaterialisePage(pfn, whollyOverwritten);
    }

    private byte[] MaterialisePage(ulong pfn, bool whollyOverwritten = false)
    {
        if (!_pages.TryGetValue(pfn, out var p))
        {
            if ((pfn << PageShift) > Limit) throw new ArgumentOutOfRangeException(nameof(pfn), $"page {Hex.Format(pfn << PageShift)} is beyond the {PhysicalAddressBits}-bit physical address space");
            ThrowIfReleased();
            if (_freePages is { Count: > 0 } pool)
            {
                p = pool.Pop();
                // A recycled array holds another run's bytes: cleared unless every byte is about to be written.
                if (!whollyOverwritten) Array.Clear(p);
            }
            else p = new byte[PageSize];
            // A page of a pfn sequence or of a rule becomes ordinary bytes on its first write, holding what it read as.
            if (!_sequences.IsEmpty) _sequences.Leave(pfn, whollyOverwritten ? null : p);
            if (_rules.Count != 0 && _rules.Remove(pfn, out var rule) && !whollyOverwritten) rule.Render(0, p);
            _pages[pfn] = p;
            CollectionsMarshal.GetValueRefOrAddDefault(_pagesPerBlock, pfn >> 9, out _)++;
        }
        return Cache(pfn, p);
    }

    private byte[] Cache(ulong pfn, byte[] page)
    {
        ref var c = ref _cache[(int)pfn & (CacheSlots - 1)];
        c.Pfn = pfn;
        c.Page = page;
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
            if (page is not null) HostCopy.Copy(page.AsSpan(offset, n), destination);
            else if (!TryReadUnmaterialised(a >> PageShift, offset, destination[..n])) destination[..n].Clear();
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
            HostCopy.Copy(source[..n], PageForWrite(a >> PageShift, n == PageSize).AsSpan(offset, n));
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
            var pfn = a >> PageShift;
            var ruled = _rules.Count != 0 && _rules.ContainsKey(pfn);
            if (value == 0 && !ruled && PageForRead(pfn) is null && !_sequences.Covers(pfn)) { /* already zero */ }
            else if (n == PageSize && (value != 0 || ruled)) SetRule(pfn, PageRule.Fill(value));
            else PageForWrite(pfn, n == PageSize).AsSpan(offset, n).Fill(value);
            length -= (ulong)n;
            a += (ulong)n;
        }
    }

    /// <summary>
    /// Copy within physical memory (bounce buffers); overlapping copies are not expected. Page by page
    /// straight between the host arrays; a destination page is materialised unless both pages read as
    /// zeros with no host array (zeros onto zeros change nothing: an unwritten buffer bounced into an
    /// unwritten pool page), as a chunked Read + Write would leave the same bytes.
    /// </summary>
    public void Copy(PhysAddr from, PhysAddr to, ulong length)
    {
        var src = from.Value;
        var dst = to.Value;
        while (length > 0)
        {
            var srcOffset = (int)(src & (PageSize - 1));
            var dstOffset = (int)(dst & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - Math.Max(srcOffset, dstOffset)), length);
            if (n == PageSize && _rules.Count != 0 && _rules.TryGetValue(src >> PageShift, out var rule))
                SetRule(dst >> PageShift, rule); // a whole page of a rule copies as the rule
            else CopyBytes(src, dst, srcOffset, dstOffset, n);
            src += (ulong)n;
            dst += (ulong)n;
            length -= (ulong)n;
        }
    }

    private void CopyBytes(ulong src, ulong dst, int srcOffset, int dstOffset, int n)
    {
        // Within the address space only: a destination beyond it throws in MaterialisePage, as before.
        if (((dst >> PageShift) << PageShift) <= Limit && UnwrittenZeros(src >> PageShift) && UnwrittenZeros(dst >> PageShift)) return;
        var target = PageForWrite(dst >> PageShift, n == PageSize).AsSpan(dstOffset, n);
        var source = PageForRead(src >> PageShift);
        if (source is not null) HostCopy.Copy(source.AsSpan(srcOffset, n), target);
        else if (!TryReadUnmaterialised(src >> PageShift, srcOffset, target)) target.Clear();
    }

    /// <summary>A page with no host array, no rule and no pfn sequence: it reads as zeros.</summary>
    private bool UnwrittenZeros(ulong pfn) =>
        PageForRead(pfn) is null && (_rules.Count == 0 || !_rules.ContainsKey(pfn)) && !_sequences.Covers(pfn);

    /// <summary>
    /// True when every byte of the range reads as zero (an unwritten page does); vectorised, so a driver
    /// can ask "is this 4 KiB table empty?" in one call instead of 512 <see cref="ReadU64"/>s.
    /// </summary>
    public bool IsZero(PhysAddr address, ulong length)
    {
        var a = address.Value;
        while (length > 0)
        {
            var offset = (int)(a & (PageSize - 1));
            var n = (int)Math.Min((ulong)(PageSize - offset), length);
            var page = PageForRead(a >> PageShift);
            if (page is not null && page.AsSpan(offset, n).ContainsAnyExcept((byte)0)) return false;
            if (page is null && (!_sequences.IsEmpty || _rules.Count != 0) && UnmaterialisedNonZero(a >> PageShift, offset, n)) return false;
            length -= (ulong)n;
            a += (ulong)n;
        }
        return true;
    }

    // A sequence word is never zero, but a few of its bytes can be (the high bytes of a small pfn); a rule's bytes can be anything.
    private bool UnmaterialisedNonZero(ulong pfn, int offset, int length)
    {
        Span<byte> bytes = stackalloc byte[length];
        return TryReadUnmaterialised(pfn, offset, bytes) && bytes.ContainsAnyExcept((byte)0);
    }

    /// <summary>Bytes of a page with no host array: its rule's or its pfn sequence's; false when it reads as zeros.</summary>
    private bool TryReadUnmaterialised(ulong pfn, int offset, Span<byte> destination)
    {
        if (_rules.Count != 0 && _rules.TryGetValue(pfn, out var rule))
        {
            rule.Render(offset, destination);
            return true;
        }
        return _sequences.TryRead(pfn, offset, destination);
    }

    /// <summary>The page holds <paramref name="rule"/>'s bytes from now on (its host array, if any, is freed).</summary>
    private void SetRule(ulong pfn, PageRule rule)
    {
        if ((pfn << PageShift) > Limit) throw new ArgumentOutOfRangeException(nameof(pfn), $"page {Hex.Format(pfn << PageShift)} is beyond the {PhysicalAddressBits}-bit physical address space");
        ThrowIfReleased();
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_rules, pfn, out var hadRule);
        slot = rule;
        if (hadRule) return; // a page holding a rule has no host array and no pfn sequence
        if (!_sequences.IsEmpty) _sequences.Leave(pfn, null);
        DropHostPage(pfn);
    }

    /// <summary>How many of the 512 64-bit words of the page at <paramref name="page"/> are not zero.</summary>
    public int NonZeroWords(PhysAddr page)
    {
        if (page.PageOffset != 0) throw new ArgumentException("a page starts on a page boundary", nameof(page));
        var host = PageForRead(page.Value >> PageShift);
        if (host is null && _rules.TryGetValue(page.Value >> PageShift, out var rule))
        {
            Span<byte> bytes = stackalloc byte[PageSize];
            rule.Render(0, bytes);
            var ruleWords = MemoryMarshal.Cast<byte, ulong>(bytes);
            return ruleWords.Length - ruleWords.Count(0UL);
        }
        if (host is null) return _sequences.Covers(page.Value >> PageShift) ? PfnSequencePages.WordsPerPage : 0;
        var words = MemoryMarshal.Cast<byte, ulong>(host.AsSpan());
        return words.Length - words.Count(0UL);
    }

    // The page of pfn when the page cache holds it (then it is materialised), else null; no bounds check.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[]? CachedPageOf(ulong pfn)
    {
        ref var c = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cache), (int)pfn & (CacheSlots - 1));
        return c.Pfn == pfn ? c.Page : null;
    }

    /// <summary>Little-endian 64-bit read (VT-d tables are little-endian); must not cross a page.</summary>
    /// <remarks>An aligned read of a cached page is inlined into the caller (a walk reads four table entries).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadU64(PhysAddr address)
    {
        var a = address.Value;
        if (BitConverter.IsLittleEndian && (a & 7) == 0 && CachedPageOf(a >> PageShift) is { } cached)
            return Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cached), (int)(a & (PageSize - 1))));
        return ReadU64Slow(address);
    }

    private ulong ReadU64Slow(PhysAddr address)
    {
        var page = PageForRead(address.Value >> PageShift);
        var offset = (int)(address.Value & (PageSize - 1));
        if (offset > PageSize - 8) throw new ArgumentOutOfRangeException(nameof(address), "a 64-bit read must not cross a page");
        if (page is null) return ReadU64Unmaterialised(address.Value >> PageShift, offset);
        var v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), offset));
        return BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
    }

    private ulong ReadU64Unmaterialised(ulong pfn, int offset)
    {
        if ((offset & 7) == 0 && _rules.Count == 0) return _sequences.TryReadWord(pfn, offset, out var word) ? word : 0;
        Span<byte> b = stackalloc byte[8];
        return TryReadUnmaterialised(pfn, offset, b) ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
    }

    /// <summary>Little-endian 64-bit write (a PTE, a queued-invalidation descriptor half); must not cross a page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteU64(PhysAddr address, ulong value)
    {
        var a = address.Value;
        if (BitConverter.IsLittleEndian && (a & 7) == 0 && CachedPageOf(a >> PageShift) is { } cached)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cached), (int)(a & (PageSize - 1))), value);
        else WriteU64Slow(address, value);
    }

    private void WriteU64Slow(PhysAddr address, ulong value)
    {
        var offset = (int)(address.Value & (PageSize - 1));
        if (offset > PageSize - 8) throw new ArgumentOutOfRangeException(nameof(address), "a 64-bit write must not cross a page");
        var page = PageForWrite(address.Value >> PageShift);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), offset),
            BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
    }

    /// <summary>Little-endian 32-bit read; inside one page it reads the page directly (the invalidation-wait status word).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadU32(PhysAddr address)
    {
        var a = address.Value;
        if (BitConverter.IsLittleEndian && (a & 3) == 0 && CachedPageOf(a >> PageShift) is { } cached)
            return Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cached), (int)(a & (PageSize - 1))));
        return ReadU32Slow(address);
    }

    private uint ReadU32Slow(PhysAddr address)
    {
        var offset = (int)(address.Value & (PageSize - 1));
        if (offset <= PageSize - 4)
        {
            var page = PageForRead(address.Value >> PageShift);
            if (page is not null)
            {
                var v = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), offset));
                return BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);
            }
            Span<byte> w = stackalloc byte[4];
            return TryReadUnmaterialised(address.Value >> PageShift, offset, w) ? BinaryPrimitives.ReadUInt32LittleEndian(w) : 0;
        }
        Span<byte> b = stackalloc byte[4];
        Read(address, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteU32(PhysAddr address, uint value)
    {
        var a = address.Value;
        if (BitConverter.IsLittleEndian && (a & 3) == 0 && CachedPageOf(a >> PageShift) is { } cached)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cached), (int)(a & (PageSize - 1))), value);
        else WriteU32Slow(address, value);
    }

    private void WriteU32Slow(PhysAddr address, uint value)
    {
        var offset = (int)(address.Value & (PageSize - 1));
        if (offset <= PageSize - 4)
        {
            var page = PageForWrite(address.Value >> PageShift);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), offset),
                BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
            return;
        }
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(address, b);
    }

    /// <summary>
    /// Fills <paramref name="pages"/> pages from <paramref name="start"/> so that their n-th 64-bit word (counting
    /// across the pages) is <c>((firstPfn + n) &lt;&lt; 12) | lowBits</c>: the pages of an identity-map page
    /// table. The words are computed when read; a page costs host memory only once something writes to it.
    /// At most 512 pages inside one 512-page aligned block; <paramref name="lowBits"/> non-zero, below bit 12.
    /// </summary>
    public void FillWithPfnSequence(PhysAddr start, ulong pages, ulong firstPfn, ulong lowBits)
    {
        if (start.PageOffset != 0) throw new ArgumentException("a pfn sequence starts on a page boundary", nameof(start));
        ThrowIfReleased();
        var first = start.Value >> PageShift;
        if (((first + pages) << PageShift) - 1 > Limit) throw new ArgumentOutOfRangeException(nameof(pages), "the pages run beyond physical memory");
        _sequences.LeaveAll(first, pages);
        if (_rules.Count != 0)
            for (var pfn = first; pfn < first + pages; pfn++) _rules.Remove(pfn);
        if (_pagesPerBlock.ContainsKey(first >> 9))
            for (var pfn = first; pfn < first + pages; pfn++) DropHostPage(pfn);
        _sequences.Add(first, pages, firstPfn, lowBits);
    }

    /// <summary>Drops a page's contents (hot-remove, or freeing a page the model wants to forget).</summary>
    public void Discard(ulong pfn)
    {
        if (!_sequences.IsEmpty) _sequences.Leave(pfn, null);
        _rules.Remove(pfn);
        DropHostPage(pfn);
    }

    private void DropHostPage(ulong pfn)
    {
        if (!_pages.Remove(pfn, out var host)) return;
        HostPageEpoch++;
        if (--CollectionsMarshal.GetValueRefOrNullRef(_pagesPerBlock, pfn >> 9) == 0) _pagesPerBlock.Remove(pfn >> 9);
        if (_freePages is { } pool && pool.Count < MaxFreePages) pool.Push(host);
        ref var c = ref _cache[(int)pfn & (CacheSlots - 1)];
        if (c.Pfn == pfn) c = new CachedPage { Pfn = ulong.MaxValue };
    }
}
