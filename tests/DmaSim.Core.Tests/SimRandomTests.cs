namespace DmaSim.Core.Tests;

public sealed class SimRandomTests
{
    /// <summary>
    /// NextBytes takes one draw as the key of a SplitMix64 sequence and writes its words least significant
    /// byte first; the stream moves on by that one draw. Lengths cover the vector body, the word tail and
    /// the byte tail.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(71)]
    [InlineData(4099)]
    [InlineData(65536)]
    public void NextBytes_is_the_splitmix64_sequence_keyed_by_one_draw(int length)
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);
        var bytes = new byte[length];
        a.NextBytes(bytes);
        var key = b.NextUInt64();
        var expected = new byte[length];
        var state = key;
        for (var i = 0; i < length; i += 8)
        {
            var r = SplitMix64(ref state);
            for (var k = 0; k < 8 && i + k < length; k++) expected[i + k] = (byte)(r >> (8 * k));
        }
        Assert.Equal(expected, bytes);
        Assert.Equal(b.NextUInt64(), a.NextUInt64());
    }

    /// <summary>The published SplitMix64 step (Vigna's splitmix64.c), written out here as the reference.</summary>
    private static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [Fact]
    public void Payload_words_are_the_reference_sequence_at_every_index()
    {
        ulong state = 0x1234;
        for (ulong i = 0; i < 100; i++) Assert.Equal(SplitMix64(ref state), PayloadBytes.Word(0x1234, i));
    }
}
