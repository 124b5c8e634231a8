using System.Runtime.CompilerServices;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// A context entry as the walk needs it, decoded once when it is cached (VT-d spec 6.1: the context cache
/// holds what translation uses of the entry; QEMU caches the whole entry and decodes it on every miss).
/// </summary>
internal struct CachedContext
{
    /// <summary>Second-level table root (ASR within the host address width).</summary>
    public ulong TableRoot;
    public ushort DomainId;
    /// <summary>Table levels of the AGAW (AW + 2).</summary>
    public byte Levels;
    /// <summary>min(AGAW width, MGAW): an IOVA with a bit at or above it faults (vtd_iova_sl_range_check).</summary>
    public byte LimitBits;
    public bool PassThrough;
    public bool FaultProcessingDisabled;
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
        public CachedContext Context;
    }

    private readonly Entry[]?[] _buses = new Entry[]?[256];
    private uint _generation = 1;

    public uint Generation => _generation;

    /// <summary>
    /// The cached context of a requester, or a null reference when none is valid. By reference: the walk reads
    /// the fields in place instead of copying the entry first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly CachedContext Find(ushort sid)
    {
        var bus = _buses[sid >> 8];
        if (bus is not null)
        {
            ref var e = ref bus[sid & 0xFF];
            if (e.Generation == _generation) return ref e.Context;
        }
        return ref Unsafe.NullRef<CachedContext>();
    }

    /// <summary>Caches a requester's decoded context under the current generation; returns the cached copy.</summary>
    public ref readonly CachedContext Store(ushort sid, CachedContext context)
    {
        var bus = _buses[sid >> 8] ??= new Entry[256];
        ref var e = ref bus[sid & 0xFF];
        e = new Entry { Generation = _generation, Context = context };
        return ref e.Context;
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
