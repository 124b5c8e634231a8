namespace DmaSim.Core.Tests;

public sealed class SimRandomTests
{
    /// <summary>NextBytes draws whole words eight bytes at a time; the bytes are those of NextUInt64, least significant first.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(4099)]
    [InlineData(65536)]
    public void NextBytes_is_the_little_endian_bytes_of_successive_draws(int length)
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);
        var bytes = new byte[length];
        a.NextBytes(bytes);
        var expected = new byte[length];
        for (var i = 0; i < length; i += 8)
        {
            var r = b.NextUInt64();
            for (var k = 0; k < 8 && i + k < length; k++) expected[i + k] = (byte)(r >> (8 * k));
        }
        Assert.Equal(expected, bytes);
        Assert.Equal(b.NextUInt64(), a.NextUInt64());
    }

    [Fact]
    public void A_snapshot_draws_what_the_stream_draws_next()
    {
        var r = new SimRandom(7);
        r.NextUInt64();
        var snap = r.Snapshot();
        var x = new byte[100];
        var y = new byte[100];
        r.NextBytes(x);
        snap.NextBytes(y);
        Assert.Equal(x, y);
    }
}
