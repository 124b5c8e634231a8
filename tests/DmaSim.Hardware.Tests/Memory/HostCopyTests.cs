using CsCheck;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Tests.Memory;

/// <summary>The vector copy between host arrays leaves what a span copy (memmove) leaves, overlapping or not.</summary>
public class HostCopyTests
{
    [Fact]
    public void A_host_copy_is_a_span_copy() =>
        Gen.Select(Gen.Int[0, 9000], Gen.Int[0, 200], Gen.Int[0, 200], Gen.Bool, Gen.ULong)
            .Sample((length, from, to, sameArray, seed) =>
            {
                var source = new byte[length + 400];
                new Random((int)seed).NextBytes(source);
                var expected = sameArray ? (byte[])source.Clone() : new byte[length + 400];
                var actual = (byte[])expected.Clone();
                var actualSource = sameArray ? actual : (byte[])source.Clone();
                (sameArray ? expected : source).AsSpan(from, length).CopyTo(expected.AsSpan(to, length));
                HostCopy.Copy(actualSource.AsSpan(from, length), actual.AsSpan(to, length));
                Assert.Equal(expected, actual);
            }, iter: 3000);

    /// <summary>Each lane width this CPU accelerates, whichever <see cref="HostCopy.Copy"/> picks here, on ranges that do not overlap.</summary>
    [Fact]
    public void Each_lane_width_copies_every_byte() =>
        Gen.Select(Gen.Int[64, 9000], Gen.Int[0, 100], Gen.ULong).Sample((length, offset, seed) =>
        {
            var source = new byte[length + 100];
            new Random((int)seed).NextBytes(source);
            var expected = source.AsSpan(offset, length).ToArray();
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
                Assert.Equal(expected, Lanes(source, offset, length, HostCopy.Copy256));
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
                Assert.Equal(expected, Lanes(source, offset, length, HostCopy.Copy512));
            var viaCopy = new byte[length];
            HostCopy.Copy(source.AsSpan(offset, length), viaCopy);
            Assert.Equal(expected, viaCopy);
        }, iter: 1000);

    private delegate void LaneCopy(ref byte source, ref byte target, nuint length);

    private static byte[] Lanes(byte[] source, int offset, int length, LaneCopy copy)
    {
        var target = new byte[length];
        copy(ref source[offset], ref target[0], (nuint)length);
        return target;
    }

    [Fact]
    public void A_target_shorter_than_the_source_is_refused() =>
        Assert.Throws<ArgumentException>(() => HostCopy.Copy(new byte[100], new byte[99]));
}
