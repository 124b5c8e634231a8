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

    /// <summary>
    /// Fills <paramref name="dest"/> with payload bytes: one draw of this stream keys a SplitMix64 sequence
    /// (word i = the SplitMix64 output for state key + (i + 1) × golden gamma), whose words go in least
    /// significant byte first. Payload is the bulk of a run's randomness (a seed cell draws 8 MiB); a
    /// counter-based sequence has no serial dependency between words, so it is filled in vector lanes, and
    /// the stream advances by one step whatever the length.
    /// </summary>
    public void NextBytes(Span<byte> dest) => PayloadBytes.Fill(NextUInt64(), dest);

    /// <summary>An independent stream for one consumer, so adding draws in one place does not shift another.</summary>
    public SimRandom Fork(ulong salt) => new(NextUInt64() ^ salt);
}
