using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DmaSim.Hardware.Vtd;

/// <summary>One cached translation: output page, its domain, the leaf level and the accumulated permissions.</summary>
internal struct IotlbEntry
{
    public ulong OutputPage;   // physical base of the leaf page (4 KiB, 2 MiB or 1 GiB aligned)
    public ulong Gfn;          // IOVA >> 12, masked to the leaf size
    public ushort DomainId;
    public ulong PageMask;     // offset bits inside the leaf page
    public byte Level;         // 1, 2 or 3
    public bool Read;
    public bool Write;
}

/// <summary>
/// The IOTLB, keyed like QEMU's (<c>vtd_lookup_iotlb</c>: gfn at the leaf level, SID, level; PASID is
/// always "none" in legacy mode) and invalidated by DID (<c>vtd_iotlb_domain_invalidate</c>,
/// <c>vtd_iotlb_page_invalidate</c>). Capacity 1024 with a flush of everything when full
/// (<c>VTD_IOTLB_MAX_SIZE</c>, vtd-hardware.md §6.1). Stored in an open-addressing table of structs so a hit
/// costs one multiply, one probe and no allocation.
/// </summary>
internal sealed class VtdIotlb
{
    public const int MaxEntries = 1024;
    private const int SlotBits = 12;
    private const int Slots = 1 << SlotBits; // load factor ≤ 25 %
    private const int SlotMask = Slots - 1;
    private readonly ulong[] _keys = new ulong[Slots];       // 0 = empty (a real key always has level ≥ 1)
    private readonly IotlbEntry[] _entries = new IotlbEntry[Slots];
    private int _count;

    public int Count => _count;

    /// <summary>Key = gfn(45 bits) | SID(16) | level(2): fits because legacy IOVAs are below 2^57.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(ulong gfn, ushort sid, int level) => (gfn << 18) | ((ulong)sid << 2) | (uint)level;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ulong key) => (int)((key * 0x9E37_79B9_7F4A_7C15UL) >> (64 - SlotBits));

    /// <summary>
    /// Looks up levels 1, 2, 3 in that order, as QEMU does; returns the slot or −1. The 4 KiB probe is inlined
    /// and bounds-check free; large pages take the out-of-line path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ushort sid, ulong iova)
    {
        if (_count == 0 || (iova >> 57) != 0) return -1;
        var key = Key(iova >> 12, sid, 1);
        ref var keys = ref MemoryMarshal.GetArrayDataReference(_keys);
        var i = Hash(key);
        while (true)
        {
            var k = Unsafe.Add(ref keys, i);
            if (k == key) return i;
            if (k == 0) return FindLarge(sid, iova);
            i = (i + 1) & SlotMask;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int FindLarge(ushort sid, ulong iova)
    {
        for (var level = 2; level <= 3; level++)
        {
            var key = Key((iova >> 12) & ~((1UL << (9 * (level - 1))) - 1), sid, level);
            var i = Hash(key);
            while (true)
            {
                var k = _keys[i];
                if (k == key) return i;
                if (k == 0) break;
                i = (i + 1) & SlotMask;
            }
        }
        return -1;
    }

    /// <summary>The entry in a slot returned by <see cref="Find"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly IotlbEntry At(int slot) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), slot);

    public void Insert(ushort sid, ulong iova, in IotlbEntry value)
    {
        if (_count >= MaxEntries) Clear(); // QEMU: a full table is flushed before the insert.
        var e = value;
        e.Gfn = (iova >> 12) & ~((1UL << (9 * (e.Level - 1))) - 1);
        e.PageMask = (1UL << (12 + 9 * (e.Level - 1))) - 1;
        var key = Key(e.Gfn, sid, e.Level);
        var i = Hash(key);
        while (_keys[i] != 0 && _keys[i] != key) i = (i + 1) & SlotMask;
        if (_keys[i] == 0) _count++;
        _keys[i] = key;
        _entries[i] = e;
    }

    public void Clear()
    {
        if (_count == 0) return;
        Array.Clear(_keys);
        _count = 0;
    }

    /// <summary>Domain-selective invalidation: drop every entry of <paramref name="domainId"/>.</summary>
    public int InvalidateDomain(ushort domainId) => RemoveWhere(domainId, 0, -1);

    /// <summary>
    /// Page-selective invalidation: drop entries of the domain whose gfn, masked by 2^AM pages, equals the
    /// address's, or large pages that contain the address (QEMU <c>vtd_hash_remove_by_page</c>).
    /// </summary>
    public int InvalidatePages(ushort domainId, ulong address, int addressMask) => RemoveWhere(domainId, address, addressMask);

    private int RemoveWhere(ushort domainId, ulong address, int am)
    {
        var removed = 0;
        var gfn = address >> 12;
        var mask = am < 0 ? 0 : ~((1UL << am) - 1);
        var i = 0;
        while (i < Slots)
        {
            if (_keys[i] != 0 && Matches(in _entries[i], domainId, gfn, mask, am))
            {
                RemoveAt(i);
                removed++;
                continue; // backward shift may have moved another entry into slot i
            }
            i++;
        }
        return removed;
    }

    private static bool Matches(in IotlbEntry e, ushort domainId, ulong gfn, ulong mask, int am)
    {
        if (e.DomainId != domainId) return false;
        if (am < 0) return true;
        if ((e.Gfn & mask) == (gfn & mask)) return true;
        var levelMask = ~((1UL << (9 * (e.Level - 1))) - 1);
        return (gfn & levelMask) == e.Gfn; // a large page containing the address
    }

    /// <summary>Backward-shift deletion keeps linear probing correct without tombstones.</summary>
    private void RemoveAt(int hole)
    {
        _count--;
        var j = hole;
        while (true)
        {
            j = (j + 1) & SlotMask;
            var k = _keys[j];
            if (k == 0) break;
            var home = Hash(k);
            // Move k into the hole if its home slot is not cyclically in (hole, j].
            var inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (inRange) continue;
            _keys[hole] = k;
            _entries[hole] = _entries[j];
            hole = j;
        }
        _keys[hole] = 0;
    }
}

/// <summary>
/// The context cache: one decoded context entry per requester, tagged with a generation number
/// (QEMU <c>VTDContextCacheEntry.context_cache_gen</c>). A global invalidation bumps the unit's generation
/// instead of walking the cache; 0 means invalid; on wrap everything is reset (vtd-hardware.md §5.1).
/// Per-bus arrays are created on first use so an idle bus costs nothing.
/// </summary>
internal sealed class VtdContextCache
{
    internal struct Entry
    {
        public uint Generation;
        public ulong Low;
        public ulong High;
    }

    private readonly Entry[]?[] _buses = new Entry[]?[256];
    private uint _generation = 1;

    public uint Generation => _generation;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ushort sid, out ulong low, out ulong high)
    {
        var bus = _buses[sid >> 8];
        if (bus is not null)
        {
            ref var e = ref bus[sid & 0xFF];
            if (e.Generation == _generation)
            {
                low = e.Low;
                high = e.High;
                return true;
            }
        }
        low = high = 0;
        return false;
    }

    public void Store(ushort sid, ulong low, ulong high)
    {
        var bus = _buses[sid >> 8] ??= new Entry[256];
        bus[sid & 0xFF] = new Entry { Generation = _generation, Low = low, High = high };
    }

    /// <summary>Global (and domain, which QEMU performs as global) invalidation.</summary>
    public void InvalidateAll()
    {
        _generation++;
        if (_generation == uint.MaxValue)
        {
            // Wrap: forget every entry and restart at 1 (QEMU vtd_reset_context_cache_locked).
            Array.Clear(_buses);
            _generation = 1;
        }
    }

    /// <summary>Device-selective: every devfn on the bus that matches <paramref name="sid"/> under the function mask.</summary>
    public int InvalidateDevice(ushort sid, int functionMask)
    {
        var bus = _buses[sid >> 8];
        if (bus is null) return 0;
        // FM 0: none ignored; 1: bit 2; 2: bits 2:1; 3: bits 2:0 (QEMU vtd_context_device_invalidate).
        var ignore = functionMask switch { 0 => 0, 1 => 4, 2 => 6, _ => 7 };
        var want = (sid & 0xFF) & ~ignore;
        var n = 0;
        for (var devfn = 0; devfn < 256; devfn++)
        {
            if ((devfn & ~ignore) != want || bus[devfn].Generation == 0) continue;
            bus[devfn].Generation = 0;
            n++;
        }
        return n;
    }
}
