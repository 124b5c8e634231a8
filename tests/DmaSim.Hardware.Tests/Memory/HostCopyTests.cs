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

    [Fact]
    public void A_target_shorter_than_the_source_is_refused() =>
        Assert.Throws<ArgumentException>(() => HostCopy.Copy(new byte[100], new byte[99]));
}
