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

    // Fully optimised at first call: a sweep runs seconds, and tier-0 vector code is many times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(ulong key, Span<byte> dest)
    {
        var whole = dest.Length / 8;
        var words = MemoryMarshal.Cast<byte, ulong>(dest[..(whole * 8)]);
        var done = Vector512.IsHardwareAccelerated ? FillVector512(key, words) : FillVector256(key, words);
        for (var i = done; i < words.Length; i++) words[i] = LittleEndian(Word(key, (ulong)i));
        if (whole * 8 == dest.Length) return;
        var last = Word(key, (ulong)whole);
        for (var i = whole * 8; i < dest.Length; i++, last >>= 8) dest[i] = (byte)last;
    }

    /// <summary>Fills whole vectors of words; returns how many words it wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillVector512(ulong key, Span<ulong> words)
    {
        var n = words.Length / Vector512<ulong>.Count * Vector512<ulong>.Count;
        if (n == 0 || !BitConverter.IsLittleEndian) return 0;
        var state = Vector512.Create(key) + (Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) + Vector512<ulong>.One) * Gamma;
        var step = Vector512.Create((ulong)Vector512<ulong>.Count * Gamma);
        for (var i = 0; i < n; i += Vector512<ulong>.Count, state += step)
            Mix(state).StoreUnsafe(ref MemoryMarshal.GetReference(words), (nuint)i);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FillVector256(ulong key, Span<ulong> words)
    {
        var n = words.Length / Vector256<ulong>.Count * Vector256<ulong>.Count;
        if (n == 0 || !Vector256.IsHardwareAccelerated || !BitConverter.IsLittleEndian) return 0;
        var state = Vector256.Create(key) + (Vector256.Create(0UL, 1, 2, 3) + Vector256<ulong>.One) * Gamma;
        var step = Vector256.Create((ulong)Vector256<ulong>.Count * Gamma);
        for (var i = 0; i < n; i += Vector256<ulong>.Count, state += step)
            Mix(state).StoreUnsafe(ref MemoryMarshal.GetReference(words), (nuint)i);
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
