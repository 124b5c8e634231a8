using System.Buffers.Binary;
using System.Numerics;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Pages whose 64-bit words follow one rule: word k of a run holds <c>((firstPfn + k) &lt;&lt; 12) | lowBits</c>.
/// That is what a page-table page of an identity map holds (each entry the next frame, same permission
/// bits), and an identity map of a 64 TiB machine is 128 GiB of such pages: keeping the rule instead of
/// the bytes makes them cost nothing until something writes to one. Runs never cross a 512-page aligned
/// block, so a page finds its run by one dictionary look-up.
/// </summary>
internal sealed class PfnSequencePages
{
    public const int WordsPerPage = 512;
    private const int BlockShift = 9;
    private readonly Dictionary<ulong, Run> _byBlock = [];

    private sealed class Run(ulong firstPage, ulong pageCount, ulong firstPfn, ulong lowBits, Run? next)
    {
        public ulong FirstPage { get; } = firstPage;
        public ulong PageCount { get; } = pageCount;
        public ulong FirstPfn { get; } = firstPfn;
        public ulong LowBits { get; } = lowBits;
        public Run? Next { get; set; } = next;
        // Pages of the run that no longer follow the rule (written, and so materialised, or discarded).
        public ulong[]? Left { get; set; }

        public bool Covers(ulong page) => page >= FirstPage && page - FirstPage < PageCount && !IsLeft(page);
        private bool IsLeft(ulong page) => Left is { } l && (l[(page - FirstPage) >> 6] & (1UL << (int)((page - FirstPage) & 63))) != 0;
    }

    public bool IsEmpty => _byBlock.Count == 0;

    /// <summary>Registers a run; the caller has made sure no other run covers its pages.</summary>
    public void Add(ulong firstPage, ulong pageCount, ulong firstPfn, ulong lowBits)
    {
        if (pageCount == 0 || pageCount > WordsPerPage || firstPage >> BlockShift != (firstPage + pageCount - 1) >> BlockShift)
            throw new ArgumentOutOfRangeException(nameof(pageCount), "a pfn-sequence run stays inside one 512-page aligned block");
        if (lowBits == 0 || lowBits >> 12 != 0)
            throw new ArgumentOutOfRangeException(nameof(lowBits), "low bits are non-zero and below bit 12, so no word of a run reads as zero");
        var block = firstPage >> BlockShift;
        _byBlock[block] = new Run(firstPage, pageCount, firstPfn, lowBits, _byBlock.GetValueOrDefault(block));
    }

    private Run? Find(ulong page)
    {
        if (!_byBlock.TryGetValue(page >> BlockShift, out var r)) return null;
        for (; r is not null; r = r.Next)
            if (r.Covers(page)) return r;
        return null;
    }

    public bool Covers(ulong page) => !IsEmpty && Find(page) is not null;

    /// <summary>The word at byte <paramref name="offset"/> (8-aligned) of a covered page.</summary>
    public bool TryReadWord(ulong page, int offset, out ulong value)
    {
        value = 0;
        if (IsEmpty || Find(page) is not { } r) return false;
        value = WordOf(r, page, offset >> 3);
        return true;
    }

    /// <summary>Copies bytes [offset, offset + destination.Length) of a covered page; false if not covered.</summary>
    public bool TryRead(ulong page, int offset, Span<byte> destination)
    {
        if (IsEmpty || Find(page) is not { } r) return false;
        Span<byte> word = stackalloc byte[8];
        var at = offset;
        while (!destination.IsEmpty)
        {
            var within = at & 7;
            BinaryPrimitives.WriteUInt64LittleEndian(word, WordOf(r, page, at >> 3));
            var n = Math.Min(8 - within, destination.Length);
            word.Slice(within, n).CopyTo(destination);
            destination = destination[n..];
            at += n;
        }
        return true;
    }

    /// <summary>
    /// Takes a page out of its run (it is about to be written, so it becomes ordinary bytes, or it was
    /// discarded and reads as zero). Fills <paramref name="into"/> with the page's words first when given.
    /// </summary>
    public bool Leave(ulong page, byte[]? into)
    {
        if (IsEmpty || Find(page) is not { } r) return false;
        if (into is not null)
            for (var i = 0; i < WordsPerPage; i++)
                BinaryPrimitives.WriteUInt64LittleEndian(into.AsSpan(i * 8, 8), WordOf(r, page, i));
        r.Left ??= new ulong[(r.PageCount + 63) / 64];
        var index = page - r.FirstPage;
        r.Left[index >> 6] |= 1UL << (int)(index & 63);
        if (r.Left.Sum(w => (long)BitOperations.PopCount(w)) == (long)r.PageCount) Remove(r);
        return true;
    }

    /// <summary>Takes every page of [first, first + count) out of its run; the pages lie in one 512-page block.</summary>
    public void LeaveAll(ulong first, ulong count)
    {
        if (IsEmpty || !_byBlock.ContainsKey(first >> BlockShift)) return; // one look-up for the usual case: a fresh block
        for (var page = first; page < first + count; page++) Leave(page, null);
    }

    private void Remove(Run run)
    {
        var block = run.FirstPage >> BlockShift;
        var head = _byBlock[block];
        if (head == run)
        {
            if (run.Next is null) _byBlock.Remove(block);
            else _byBlock[block] = run.Next;
            return;
        }
        for (var r = head; r.Next is not null; r = r.Next)
            if (r.Next == run) { r.Next = run.Next; return; }
    }

    public void Clear() => _byBlock.Clear();

    private static ulong WordOf(Run r, ulong page, int wordIndex) =>
        ((r.FirstPfn + ((page - r.FirstPage) * WordsPerPage) + (ulong)wordIndex) << 12) | r.LowBits;
}
