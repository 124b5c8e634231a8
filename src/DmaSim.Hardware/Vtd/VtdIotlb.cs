using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// One cached translation as the fill path hands it over and as <see cref="VtdIotlb.At"/> reads it back: output
/// page, its domain, the leaf level and the accumulated permissions. The table itself stores it packed
/// (<see cref="IotlbSlot"/>).
/// </summary>
internal struct IotlbEntry
{
    public ulong OutputPage;   // physical base of the leaf page (4 KiB, 2 MiB or 1 GiB aligned)
    public ulong Gfn;          // IOVA >> 12, masked to the leaf size
    public ulong PageMask;     // offset bits inside the leaf page
    public ushort DomainId;
    public byte Level;         // 1, 2 or 3
    public bool Read;
    public bool Write;
}

/// <summary>
/// A slot of the table: the key and the output word side by side, so a hit reads one 16-byte pair from one
/// array. The output page is 4 KiB aligned, so its low bits carry the permissions; a cached entry always has
/// Read or Write (the walk faults before the fill otherwise), so a live output word is never 0.
/// </summary>
internal struct IotlbSlot
{
    public const ulong ReadBit = 1;
    public const ulong WriteBit = 2;
    public const ulong PageBits = ~0xFFFUL;
    public ulong Key;
    public ulong Output;
}

/// <summary>
/// The IOTLB, keyed like QEMU's (<c>vtd_lookup_iotlb</c>: gfn at the leaf level, SID, level; PASID is
/// always "none" in legacy mode) and invalidated by DID (<c>vtd_iotlb_domain_invalidate</c>,
/// <c>vtd_iotlb_page_invalidate</c>). Capacity 1024 with a flush of everything when full
/// (<c>VTD_IOTLB_MAX_SIZE</c>, vtd-hardware.md §6.1). Stored in an open-addressing table of 16-byte slots so a
/// hit costs one multiply, one probe and no allocation; the domain of each slot sits in a parallel array that
/// only the fill and invalidation read.
/// </summary>
internal sealed class VtdIotlb
{
    public const int MaxEntries = 1024;
    private const int SlotBits = 12;
    private const int Slots = 1 << SlotBits; // load factor ≤ 25 %
    private const int SlotMask = Slots - 1;
    // Key 0 = empty (a real key always has level ≥ 1). Until the first fill every IOTLB probes this shared table,
    // which is never written (all empty): a unit that never caches a translation (most boots of a sweep) costs
    // no table, and the probe needs no "is there a table" test.
    private static readonly IotlbSlot[] _emptyTable = new IotlbSlot[Slots];
    private IotlbSlot[] _slots = _emptyTable;
    private ushort[] _slotDomains = [];
    private readonly Dictionary<ushort, DomainEntries> _domains = [];
    private DomainEntries? _lastDomain;
    private int _count;
    // Live 2 MiB / 1 GiB entries: while there are none, a 4 KiB miss skips the two large-page probes.
    private int _largeCount;

    public int Count => _count;

    /// <summary>A 2 MiB or 1 GiB entry is cached (else a 4 KiB miss needs no other probe).</summary>
    public bool HoldsLargePages => _largeCount != 0;

    /// <summary>Key = gfn(45 bits) | SID(16) | level(2): fits because legacy IOVAs are below 2^57.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(ulong gfn, ushort sid, int level) => (gfn << 18) | ((ulong)sid << 2) | (uint)level;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ulong key) => (int)((key * 0x9E37_79B9_7F4A_7C15UL) >> (64 - SlotBits));

    /// <summary>
    /// Looks up levels 1, 2, 3 in that order, as QEMU does; returns the slot or −1. The 4 KiB probe is inlined
    /// and bounds-check free; large pages take the out-of-line path.
    /// </summary>
    public int Find(ushort sid, ulong iova)
    {
        var slot = FindSmall(sid, iova);
        return slot >= 0 || _largeCount == 0 || _count == 0 || (iova >> 57) != 0 ? slot : FindLarge(sid, iova);
    }

    /// <summary>The level-1 (4 KiB) probe of <see cref="Find"/> alone: the slot of that key, or −1.</summary>
    public int FindSmall(ushort sid, ulong iova)
    {
        if ((iova >> 57) != 0) return -1;
        var key = Key(iova >> 12, sid, 1);
        var i = Hash(key);
        while (true)
        {
            var k = _slots[i].Key;
            if (k == key) return i;
            if (k == 0) return -1;
            i = (i + 1) & SlotMask;
        }
    }

    /// <summary>
    /// The 4 KiB probe for the inlined hit path: the output word of that key (output page | <see cref="IotlbSlot.ReadBit"/>
    /// | <see cref="IotlbSlot.WriteBit"/>), or 0 when no 4 KiB entry is cached. Bounds-check free. Its own loop, not
    /// <see cref="FindSmall"/> and a read of the slot: that was 0.16 ns slower per hit (3.56 against 3.40 ns, min of
    /// three interleaved runs, 2026-12-07).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ProbeSmall(ushort sid, ulong iova)
    {
        if ((iova >> 57) != 0) return 0;
        var key = Key(iova >> 12, sid, 1);
        ref var slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        var i = Hash(key);
        while (true)
        {
            ref var s = ref Unsafe.Add(ref slots, i);
            if (s.Key == key) return s.Output;
            if (s.Key == 0) return 0;
            i = (i + 1) & SlotMask;
        }
    }

    /// <summary>4 KiB misses that went on to probe the 2 MiB and 1 GiB keys: a work counter for tests.</summary>
    public long LargePageProbes { get; private set; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FindLarge(ushort sid, ulong iova)
    {
        LargePageProbes++;
        for (var level = 2; level <= 3; level++)
        {
            var key = Key((iova >> 12) & ~((1UL << (9 * (level - 1))) - 1), sid, level);
            var i = Hash(key);
            while (true)
            {
                var k = _slots[i].Key;
                if (k == key) return i;
                if (k == 0) break;
                i = (i + 1) & SlotMask;
            }
        }
        return -1;
    }

    private static ulong GfnOf(ulong key) => key >> 18;

    private static int LevelOf(ulong key) => (int)(key & 3);

    /// <summary>The entry in a slot returned by <see cref="Find"/>, unpacked.</summary>
    public IotlbEntry At(int slot)
    {
        var s = _slots[slot];
        var level = LevelOf(s.Key);
        return new IotlbEntry
        {
            OutputPage = s.Output & IotlbSlot.PageBits,
            Gfn = GfnOf(s.Key),
            PageMask = (1UL << (12 + 9 * (level - 1))) - 1,
            DomainId = _slotDomains[slot],
            Level = (byte)level,
            Read = (s.Output & IotlbSlot.ReadBit) != 0,
            Write = (s.Output & IotlbSlot.WriteBit) != 0,
        };
    }

    public void Insert(ushort sid, ulong iova, in IotlbEntry value)
    {
        if (_count >= MaxEntries) Clear(); // QEMU: a full table is flushed before the insert.
        if (_slotDomains.Length == 0) TakeTable();
        var gfn = (iova >> 12) & ~((1UL << (9 * (value.Level - 1))) - 1);
        var key = Key(gfn, sid, value.Level);
        var i = Hash(key);
        while (_slots[i].Key != 0 && _slots[i].Key != key) i = (i + 1) & SlotMask;
        if (_slots[i].Key == 0)
        {
            _count++;
            if (value.Level > 1) _largeCount++; // a replaced entry has the same key, so the same level
        }
        else DomainOf(_slotDomains[i]).Entries--; // replaced: the old entry may belong to another domain
        // Field by field: a struct built on the stack and copied as one 16-byte move stalls on store forwarding.
        ref var slot = ref _slots[i];
        slot.Key = key;
        slot.Output = (value.OutputPage & IotlbSlot.PageBits) | (value.Read ? IotlbSlot.ReadBit : 0) | (value.Write ? IotlbSlot.WriteBit : 0);
        _slotDomains[i] = value.DomainId;
        var d = DomainOf(value.DomainId);
        d.Entries++;
        d.NoteSid(sid);
    }

    // Tables of machines whose run is over, per thread (a sweep boots one machine after another on each worker):
    // a first fill takes one, its keys already zero, instead of a fresh 72 KiB pair that the GC must collect.
    [ThreadStatic] private static Stack<(IotlbSlot[] Slots, ushort[] Domains)>? _spareTables;
    private const int MaxSpareTables = 8;

    private void TakeTable()
    {
        if (_spareTables is { Count: > 0 } spare) (_slots, _slotDomains) = spare.Pop();
        else
        {
            _slots = new IotlbSlot[Slots];
            _slotDomains = new ushort[Slots];
        }
    }

    /// <summary>
    /// The machine's run is over: the table goes back to this thread's pool, emptied (the entries are dead once
    /// their keys are zero), and this IOTLB is empty, as after <see cref="Clear"/>.
    /// </summary>
    public void ReleaseTable()
    {
        if (_slotDomains.Length == 0) return;
        Clear();
        var spare = _spareTables ??= new Stack<(IotlbSlot[], ushort[])>();
        if (spare.Count < MaxSpareTables) spare.Push((_slots, _slotDomains));
        _slots = _emptyTable;
        _slotDomains = [];
    }

    /// <summary>Global invalidation (and the flush of a full table).</summary>
    public void Clear()
    {
        if (_count == 0) return;
        Array.Clear(_slots); // the domains of empty slots are never read
        _count = 0;
        _largeCount = 0;
        foreach (var d in _domains.Values) d.Reset();
    }

    /// <summary>Domain-selective invalidation: drop every entry of <paramref name="domainId"/>.</summary>
    public int InvalidateDomain(ushort domainId) => RemoveWhere(domainId, 0, -1);

    /// <summary>
    /// Page-selective invalidation: drop entries of the domain whose gfn, masked by 2^AM pages, equals the
    /// address's, or large pages that contain the address (QEMU <c>vtd_hash_remove_by_page</c>).
    /// </summary>
    public int InvalidatePages(ushort domainId, ulong address, int addressMask) => RemoveWhere(domainId, address, addressMask);

    /// <summary>
    /// Slots and keys examined by invalidations since creation: a work counter (not a time) so tests can
    /// see that an empty table or a one-page invalidation does not scan all 4,096 slots.
    /// </summary>
    public long InvalidationProbes { get; private set; }

    private int RemoveWhere(ushort domainId, ulong address, int am)
    {
        // Fast exits: nothing cached at all, or nothing of this domain (strict unmaps of pages no device
        // touched since the last flush hit this every time).
        if (_count == 0 || !_domains.TryGetValue(domainId, out var d) || d.Entries == 0) return 0;
        var removed = am is >= 0 and <= MaxProbedAddressMask && !d.TooManySids
            ? RemovePagesByProbing(domainId, address >> 12, am, d)
            : RemoveByScan(domainId, address >> 12, am, d);
        d.Entries -= removed;
        return removed;
    }

    /// <summary>The general case: every slot, stopping once the domain has no entries left.</summary>
    private int RemoveByScan(ushort domainId, ulong gfn, int am, DomainEntries d)
    {
        var removed = 0;
        var mask = am < 0 ? 0 : ~((1UL << am) - 1);
        var i = 0;
        while (i < Slots && removed < d.Entries)
        {
            InvalidationProbes++;
            if (_slots[i].Key != 0 && Matches(_slots[i].Key, _slotDomains[i], domainId, gfn, mask, am))
            {
                RemoveAt(i);
                removed++;
                continue; // backward shift may have moved another entry into slot i
            }
            i++;
        }
        return removed;
    }

    private const int MaxProbedAddressMask = 6; // up to 64 pages: 66 probes per SID instead of a 4,096-slot scan

    /// <summary>
    /// The same removal as the scan for AM &lt; 9 (the range lies inside one 2 MiB region), by key: a level-1
    /// entry matches iff its gfn is in the aligned range; a 2 MiB or 1 GiB entry iff it contains the address
    /// (for AM &lt; 9 "its gfn is in the range" implies that too). Every SID that inserted an entry of the
    /// domain since the last flush is probed, a superset of the SIDs its live entries carry.
    /// </summary>
    private int RemovePagesByProbing(ushort domainId, ulong gfn, int am, DomainEntries d)
    {
        if ((gfn >> 45) != 0) return 0; // no cached IOVA is that high (Find refuses them)
        var removed = 0;
        var first = gfn & ~((1UL << am) - 1);
        var count = 1UL << am;
        for (var s = 0; s < d.SidCount; s++)
        {
            var sid = d.Sids[s];
            for (var g = first; g < first + count; g++) removed += RemoveKey(domainId, sid, g, 1);
            removed += RemoveKey(domainId, sid, gfn & ~((1UL << 9) - 1), 2);
            removed += RemoveKey(domainId, sid, gfn & ~((1UL << 18) - 1), 3);
        }
        return removed;
    }

    private int RemoveKey(ushort domainId, ushort sid, ulong gfn, int level)
    {
        var key = Key(gfn, sid, level);
        var i = Hash(key);
        while (true)
        {
            InvalidationProbes++;
            var k = _slots[i].Key;
            if (k == 0) return 0;
            if (k == key)
            {
                if (_slotDomains[i] != domainId) return 0;
                RemoveAt(i);
                return 1;
            }
            i = (i + 1) & SlotMask;
        }
    }

    private DomainEntries DomainOf(ushort domainId)
    {
        if (_lastDomain is not null && _lastDomain.Id == domainId) return _lastDomain;
        if (!_domains.TryGetValue(domainId, out var d)) _domains[domainId] = d = new DomainEntries(domainId);
        return _lastDomain = d;
    }

    /// <summary>
    /// Per domain: how many entries it holds and which SIDs inserted them since the last flush. Kept across
    /// flushes (reset, not dropped) so the fill path does not allocate in steady state.
    /// </summary>
    private sealed class DomainEntries(ushort id)
    {
        public const int MaxProbedSids = 4;
        public readonly ushort Id = id;
        public readonly ushort[] Sids = new ushort[MaxProbedSids];
        public int Entries;
        public int SidCount;
        public bool TooManySids;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void NoteSid(ushort sid)
        {
            if (SidCount > 0 && Sids[SidCount - 1] == sid) return;
            for (var i = 0; i < SidCount; i++)
                if (Sids[i] == sid) return;
            if (SidCount == MaxProbedSids) TooManySids = true;
            else Sids[SidCount++] = sid;
        }

        public void Reset()
        {
            Entries = 0;
            SidCount = 0;
            TooManySids = false;
        }
    }

    private static bool Matches(ulong key, ushort slotDomain, ushort domainId, ulong gfn, ulong mask, int am)
    {
        if (slotDomain != domainId) return false;
        if (am < 0) return true;
        var entryGfn = GfnOf(key);
        if ((entryGfn & mask) == (gfn & mask)) return true;
        var levelMask = ~((1UL << (9 * (LevelOf(key) - 1))) - 1);
        return (gfn & levelMask) == entryGfn; // a large page containing the address
    }

    /// <summary>Backward-shift deletion keeps linear probing correct without tombstones.</summary>
    private void RemoveAt(int hole)
    {
        _count--;
        if (LevelOf(_slots[hole].Key) > 1) _largeCount--;
        var j = hole;
        while (true)
        {
            j = (j + 1) & SlotMask;
            var k = _slots[j].Key;
            if (k == 0) break;
            var home = Hash(k);
            // Move k into the hole if its home slot is not cyclically in (hole, j].
            var inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (inRange) continue;
            _slots[hole] = _slots[j];
            _slotDomains[hole] = _slotDomains[j];
            hole = j;
        }
        _slots[hole].Key = 0;
    }
}
