namespace DmaSim.Core;

/// <summary>
/// Deterministic random source (xoshiro256**, seeded through SplitMix64). Every random choice in a run
/// derives from the scenario seed, so the same scenario and seed give byte-identical output.
/// </summary>
public sealed class SimRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SimRandom(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix(ref sm); _s1 = SplitMix(ref sm); _s2 = SplitMix(ref sm); _s3 = SplitMix(ref sm);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, bound) without modulo bias.</summary>
    public ulong Next(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        var threshold = (0 - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold) return r % bound;
        }
    }

    public void NextBytes(Span<byte> dest)
    {
        var i = 0;
        // Whole draws eight bytes at a time, least significant byte first (what the byte loop below writes),
        // with the state in locals: the same xoshiro256** steps as NextUInt64.
        var whole = dest.Length / 8;
        if (whole > 0)
        {
            ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(dest[..(whole * 8)]);
            for (var w = 0; w < words.Length; w++)
            {
                var result = ulong.RotateLeft(s1 * 5, 7) * 9;
                var t = s1 << 17;
                s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
                s3 = ulong.RotateLeft(s3, 45);
                words[w] = BitConverter.IsLittleEndian ? result : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(result);
            }
            _s0 = s0; _s1 = s1; _s2 = s2; _s3 = s3;
            i = whole * 8;
        }
        while (i < dest.Length)
        {
            var r = NextUInt64();
            for (var b = 0; b < 8 && i < dest.Length; b++, i++) dest[i] = (byte)(r >> (8 * b));
        }
    }

    /// <summary>A copy of the stream at this point: it draws exactly what this one will draw next (to regenerate bytes instead of keeping them).</summary>
    public SimRandom Snapshot() => (SimRandom)MemberwiseClone();

    /// <summary>An independent stream for one consumer, so adding draws in one place does not shift another.</summary>
    public SimRandom Fork(ulong salt) => new(NextUInt64() ^ salt);
}
