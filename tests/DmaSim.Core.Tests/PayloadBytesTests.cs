using CsCheck;

namespace DmaSim.Core.Tests;

/// <summary>
/// Payload bytes at an offset: a buffer filled in pieces (a page at a time, at any byte offset) holds what
/// one fill of the whole buffer gives, and Matches answers what a comparison with that fill would.
/// </summary>
public sealed class PayloadBytesTests
{
    [Fact]
    public void Pieces_at_any_offsets_hold_what_one_fill_gives()
    {
        Gen.Select(Gen.ULong, Gen.Int[0, 9000], Gen.Int[1, 700].Array[1, 12]).Sample((key, length, cuts) =>
        {
            var whole = new byte[length];
            PayloadBytes.Fill(key, whole);
            var pieces = new byte[length];
            var at = 0;
            foreach (var cut in cuts.Append(length))
            {
                var n = Math.Min(cut, length - at);
                PayloadBytes.Fill(key, (ulong)at, pieces.AsSpan(at, n));
                at += n;
            }
            Assert.Equal(whole, pieces);
        });
    }

    [Fact]
    public void Matches_is_true_for_the_payload_and_false_for_any_single_changed_byte()
    {
        Gen.Select(Gen.ULong, Gen.Int[0, 300], Gen.Int[1, 5000], Gen.Int[0, 4999]).Sample((key, offset, length, flip) =>
        {
            var bytes = new byte[length];
            PayloadBytes.Fill(key, (ulong)offset, bytes);
            Assert.True(PayloadBytes.Matches(key, (ulong)offset, bytes));
            Assert.False(PayloadBytes.Matches(key + 1, (ulong)offset, bytes));
            bytes[flip % length] ^= 0x40;
            Assert.False(PayloadBytes.Matches(key, (ulong)offset, bytes));
        });
    }

    [Fact]
    public void A_byte_is_its_word_least_significant_byte_first()
    {
        var bytes = new byte[24];
        PayloadBytes.Fill(99, bytes);
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.Equal((byte)(PayloadBytes.Word(99, (ulong)i / 8) >> (8 * (i % 8))), bytes[i]);
            Assert.Equal(bytes[i], PayloadBytes.ByteAt(99, (ulong)i));
        }
    }

    /// <summary>The vector fill and its scalar head and tail compute the scalar word function, at any word offset.</summary>
    [Fact]
    public void Every_word_of_a_long_fill_is_the_scalar_word()
    {
        Gen.Select(Gen.ULong, Gen.Int[0, 64], Gen.Int[0, 3000]).Sample((key, firstWord, words) =>
        {
            var bytes = new byte[words * 8];
            PayloadBytes.Fill(key, (ulong)firstWord * 8, bytes);
            for (var i = 0; i < words; i++)
                Assert.Equal(PayloadBytes.Word(key, (ulong)(firstWord + i)), BitConverter.ToUInt64(bytes, i * 8));
        });
    }
}
