using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DmaSim.Core;

/// <summary>
/// The SplitMix64 sequence of a key as bytes (Steele, Lea, Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): word i is mix(key + (i + 1) × γ). Each word depends only on its index, so
/// the fill runs in vector lanes; the scalar and vector paths compute the same function.
/// </summary>
public static class PayloadBytes
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private const ulong M1 = 0xBF58476D1CE4E5B9UL;
    private const ulong M2 = 0x94D049BB133111EBUL;

    /// <summary>Word <paramref name="index"/> of the sequence keyed by <paramref name="key"/>.</summary>
    public static ulong Word(ulong key, ulong index) => Mix(key + ((index + 1) * Gamma));

    /// <summary>The first <c>dest.Length</c> bytes of the sequence keyed by <paramref name="key"/>.</summary>
    public static void Fill(ulong key, Span<byte> dest) => Fill(key, 0, dest);

    /// <summary>
    /// Bytes [<paramref name="offset"/>, offset + dest.Length) of the sequence keyed by <paramref name="key"/>:
    /// a buffer filled in pieces (a page at a time) holds exactly what one fill of the whole buffer gives.
    /// </summary>
    // Fully optimised at first call: a sweep runs seconds, and tier-0 vector code is many times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(ulong key, ulong offset, Span<byte> dest)
    {
        var head = HeadBytes(offset, dest.Length);
        for (var i = 0; i < head; i++) dest[i] = ByteAt(key, offset + (ulong)i);
        dest = dest[head..];
        var firstWord = (offset + (ulong)head) >> 3;
        var whole = dest.Length / 8;
        var words = MemoryMarshal.Cast<byte, ulong>(dest[..(whole * 8)]);
        var done = Vector512.IsHardwareAccelerated ? FillVector512(key, firstWord, words) : FillVector256(key, firstWord, words);
        for (var i = done; i < words.Length; i++) words[i] = LittleEndian(Word(key, firstWord + (ulong)i));
        var tail = (firstWord + (ulong)whole) << 3;
        for (var i = whole * 8; i < dest.Length; i++) dest[i] = ByteAt(key, tail + (ulong)(i - (whole * 8)));
    }

    /// <summary>
    /// Whether <paramref name="data"/> is bytes [<paramref name="offset"/>, offset + data.Length) of the sequence
    /// keyed by <paramref name="key"/>: one pass over the data, the sequence computed in registers, not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Matches(ulong key, ulong offset, ReadOnlySpan<byte> data)
    {
        var head = HeadBytes(offset, data.Length);
        for (var i = 0; i < head; i++)
            if (data[i] != ByteAt(key, offset + (ulong)i)) return false;
        data = data[head..];
        var firstWord = (offset + (ulong)head) >> 3;
        var whole = data.Length / 8;
        var words = MemoryMarshal.Cast<byte, ulong>(data[..(whole * 8)]);
        var done = MatchVector512(key, firstWord, words, out var equal);
        if (!equal) return false;
        for (var i = done; i < words.Length; i++)
            if (words[i] != LittleEndian(Word(key, firstWord + (ulong)i))) return false;
        var tail = (firstWord + (ulong)whole) << 3;
        for (var i = whole * 8; i < data.Length; i++)
            if (data[i] != ByteAt(key, tail + (ulong)(i - (whole * 8)))) return false;
        return true;
    }

    /// <summary>Byte <paramref name="index"/> of the sequence (little-endian words).</summary>
    public static byte ByteAt(ulong key, ulong index) => (byte)(Word(key, index >> 3) >> (int)((index & 7) * 8));

    // Bytes before the next word boundary (none when the offset is on one), at most the span.
    private static int HeadBytes(ulong offset, int length) => (int)Math.Min((ulong)length, (8 - (offset & 7)) & 7);

    /// <summary>Fills whole vectors of words from word <paramref name="firstWord"/>; returns how many words it wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillVector512(ulong key, ulong firstWord, Span<ulong> words)
    {
        var n = words.Length / Vector512<ulong>.Count * Vector512<ulong>.Count;
        if (n == 0 || !BitConverter.IsLittleEndian) return 0;
        var state = Vector512.Create(key) + (Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create(firstWord + 1)) * Gamma;
        var step = Vector512.Create((ulong)Vector512<ulong>.Count * Gamma);
        for (var i = 0; i < n; i += Vector512<ulong>.Count, state += step)
            Mix(state).StoreUnsafe(ref MemoryMarshal.GetReference(words), (nuint)i);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillVector256(ulong key, ulong firstWord, Span<ulong> words)
    {
        var n = words.Length / Vector256<ulong>.Count * Vector256<ulong>.Count;
        if (n == 0 || !Vector256.IsHardwareAccelerated || !BitConverter.IsLittleEndian) return 0;
        var state = Vector256.Create(key) + (Vector256.Create(0UL, 1, 2, 3) + Vector256.Create(firstWord + 1)) * Gamma;
        var step = Vector256.Create((ulong)Vector256<ulong>.Count * Gamma);
        for (var i = 0; i < n; i += Vector256<ulong>.Count, state += step)
            Mix(state).StoreUnsafe(ref MemoryMarshal.GetReference(words), (nuint)i);
        return n;
    }

    /// <summary>Compares whole vectors of words; returns how many it compared (all equal when <paramref name="equal"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MatchVector512(ulong key, ulong firstWord, ReadOnlySpan<ulong> words, out bool equal)
    {
        equal = true;
        var n = words.Length / Vector512<ulong>.Count * Vector512<ulong>.Count;
        if (n == 0 || !Vector512.IsHardwareAccelerated || !BitConverter.IsLittleEndian) return 0;
        var state = Vector512.Create(key) + (Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create(firstWord + 1)) * Gamma;
        var step = Vector512.Create((ulong)Vector512<ulong>.Count * Gamma);
        ref var at = ref MemoryMarshal.GetReference(words);
        var i = 0;
        // Two vectors per step: the two mixes are independent, so their multiplies overlap.
        for (; i + (2 * Vector512<ulong>.Count) <= n; i += 2 * Vector512<ulong>.Count, state += step + step)
        {
            var differ = (Vector512.LoadUnsafe(ref at, (nuint)i) ^ Mix(state))
                | (Vector512.LoadUnsafe(ref at, (nuint)(i + Vector512<ulong>.Count)) ^ Mix(state + step));
            if (differ != Vector512<ulong>.Zero) break;
        }
        for (; i < n; i += Vector512<ulong>.Count, state += step)
        {
            if (Vector512.LoadUnsafe(ref at, (nuint)i) == Mix(state)) continue;
            equal = false;
            return i;
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * M1;
        z = (z ^ (z >> 27)) * M2;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ (z >> 30)) * M1;
        z = (z ^ (z >> 27)) * M2;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ (z >> 30)) * M1;
        z = (z ^ (z >> 27)) * M2;
        return z ^ (z >> 31);
    }

    private static ulong LittleEndian(ulong w) => BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);
}
