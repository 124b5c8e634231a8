using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Reads the entries of a multi-level table (VT-d second-level tables, walked by the remapping hardware and by
/// the kernel) from simulated memory, remembering per level the host array of the table page it read last.
/// Through <see cref="PhysicalMemory.ReadU64"/> every level costs two dependent loads after the previous
/// level's entry is known (the page cache's slot for the table page, then the entry); here the array of a
/// level does not depend on the previous entry (only the check that it is the same page does, and that branch
/// is predicted), and the entry's offset in its page comes from the address being walked, so the levels' loads
/// no longer wait for one another. The same bytes are read: a remembered array is used only while
/// <see cref="PhysicalMemory.HostPageEpoch"/> says no host array has left the page map (checked when a walk
/// begins), and pages held as a rule or a pfn sequence are read through <see cref="PhysicalMemory.ReadU64"/>.
/// </summary>
public sealed class TableWalkReader
{
    private const int MaxLevels = 6; // levels 1..5 (5-level tables)

    private struct Memo
    {
        public ulong Pfn;       // ulong.MaxValue: nothing remembered (never a real pfn)
        public byte[]? Page;
    }

    private readonly PhysicalMemory _memory;
    private readonly Memo[] _memos = new Memo[MaxLevels];
    private long _epoch;

    public TableWalkReader(PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
        Forget();
    }

    /// <summary>
    /// Starts a walk: forgets every remembered array if a host page left the page map since the last walk. Call it
    /// again within a walk after anything that may discard pages (allocating a table page).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginWalk()
    {
        if (_epoch != _memory.HostPageEpoch) Forget();
    }

    /// <summary>
    /// The 64-bit little-endian entry at byte <paramref name="offset"/> (8-byte aligned) of the level-<paramref name="level"/>
    /// table at <paramref name="table"/> (4 KiB aligned), within a walk started by <see cref="BeginWalk"/>. The table and
    /// the offset come apart so that the load's address does not wait for the table (the previous entry): the
    /// offset comes from the address being walked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Read(int level, ulong table, uint offset)
    {
        ref var memo = ref _memos[level];
        if (memo.Pfn == table >> PhysAddr.PageShift && BitConverter.IsLittleEndian)
            return Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(memo.Page!), (nint)offset));
        return ReadAndRemember(ref memo, table + offset);
    }

    /// <summary>
    /// <see cref="Read"/> when the level's remembered page is the table: the entry, with no call. False when it
    /// is not (the caller then reads through <see cref="Read"/>, which remembers the page).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadRemembered(int level, ulong table, uint offset, out ulong entry)
    {
        ref var memo = ref _memos[level];
        if (memo.Pfn == table >> PhysAddr.PageShift && BitConverter.IsLittleEndian)
        {
            entry = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(memo.Page!), (nint)offset));
            return true;
        }
        entry = 0;
        return false;
    }

    private ulong ReadAndRemember(ref Memo memo, ulong entry)
    {
        Debug.Assert(_epoch == _memory.HostPageEpoch, "a walk read a table after a host page left the page map without BeginWalk");
        var pfn = entry >> PhysAddr.PageShift;
        if ((entry & 7) == 0 && _memory.HostPageOf(pfn) is { } page)
        {
            memo.Pfn = pfn;
            memo.Page = page;
        }
        return _memory.ReadU64(new PhysAddr(entry));
    }

    /// <summary>Drops every remembered array (the run is over, or a host page left the page map).</summary>
    public void Forget()
    {
        for (var i = 0; i < MaxLevels; i++) _memos[i] = new Memo { Pfn = ulong.MaxValue };
        _epoch = _memory.HostPageEpoch;
    }
}
