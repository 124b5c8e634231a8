using System.Runtime.CompilerServices;

namespace DmaSim.Checking;

/// <summary>
/// dma-debug's radix_dma_active as a map from cacheline number to overlap count: open addressing with
/// linear probing over two flat arrays, so a map and its unmap cost one multiply and a probe or two each
/// (a <c>Dictionary</c> was a sixth of a pass-through map+unmap). Keys are removed only all at once by
/// <see cref="RemoveAll"/>, which rebuilds into a spare pair of arrays: nothing is allocated in steady state.
/// </summary>
internal sealed class CachelineTable
{
    // A slot's key is the cacheline number + 1 (0 = empty); physical addresses are below 2^52, so it never wraps.
    private ulong[] _keys = new ulong[InitialSlots];
    private int[] _values = new int[InitialSlots];
    private ulong[] _spareKeys = [];
    private int[] _spareValues = [];
    private int _shift = 64 - InitialBits;
    private const int InitialBits = 8;
    private const int InitialSlots = 1 << InitialBits;

    /// <summary>Keys held (as <c>Dictionary.Count</c>).</summary>
    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(ulong stored) => (int)((stored * 0x9E37_79B9_7F4A_7C15UL) >> _shift);

    /// <summary>The value of <paramref name="line"/>, added as 0 when absent (<c>CollectionsMarshal.GetValueRefOrAddDefault</c>).</summary>
    public ref int GetOrAdd(ulong line, out bool existed)
    {
        var stored = line + 1;
        var mask = _keys.Length - 1;
        for (var i = Home(stored); ; i = (i + 1) & mask)
        {
            var k = _keys[i];
            if (k == stored)
            {
                existed = true;
                return ref _values[i];
            }
            if (k != 0) continue;
            existed = false;
            if ((Count + 1) * 2 > _keys.Length)
            {
                Rehash(_keys.Length * 2, dropValue: int.MinValue);
                return ref GetOrAdd(line, out existed);
            }
            _keys[i] = stored;
            _values[i] = 0;
            Count++;
            return ref _values[i];
        }
    }

    /// <summary>The value of <paramref name="line"/>, or a null reference when absent.</summary>
    public ref int Find(ulong line)
    {
        var stored = line + 1;
        var mask = _keys.Length - 1;
        for (var i = Home(stored); ; i = (i + 1) & mask)
        {
            var k = _keys[i];
            if (k == stored) return ref _values[i];
            if (k == 0) return ref Unsafe.NullRef<int>();
        }
    }

    /// <summary>Drops every key whose value is <paramref name="value"/>.</summary>
    public void RemoveAll(int value) => Rehash(_keys.Length, dropValue: value);

    // Reinserts every key (except those holding dropValue) into arrays of the given size; the old pair becomes the spare.
    private void Rehash(int slots, int dropValue)
    {
        if (_spareKeys.Length != slots)
        {
            _spareKeys = new ulong[slots];
            _spareValues = new int[slots];
        }
        else Array.Clear(_spareKeys);
        var (oldKeys, oldValues) = (_keys, _values);
        (_keys, _values, _spareKeys, _spareValues) = (_spareKeys, _spareValues, oldKeys, oldValues);
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)slots);
        Count = 0;
        var mask = slots - 1;
        for (var j = 0; j < oldKeys.Length; j++)
        {
            var stored = oldKeys[j];
            if (stored == 0 || oldValues[j] == dropValue) continue;
            var i = Home(stored);
            while (_keys[i] != 0) i = (i + 1) & mask;
            _keys[i] = stored;
            _values[i] = oldValues[j];
            Count++;
        }
    }
}
