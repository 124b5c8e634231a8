namespace DmaSim.Core.Tests;

public class AddressTests
{
    [Theory]
    [InlineData(24, 0xFFFFFFUL)]
    [InlineData(32, 0xFFFFFFFFUL)]
    [InlineData(64, ulong.MaxValue)]
    public void Dma_bit_mask_matches_the_kernel_macro(int bits, ulong expected) => Assert.Equal(expected, DmaMask.Bits(bits));

    [Fact]
    public void A_mask_admits_a_buffer_only_when_its_last_byte_fits()
    {
        Assert.True(DmaMask.Admits(DmaMask.Bits(32), 0xFFFFF000, 0x1000));
        Assert.False(DmaMask.Admits(DmaMask.Bits(32), 0xFFFFF000, 0x1001));
        Assert.False(DmaMask.Admits(ulong.MaxValue, ulong.MaxValue, 2));
    }

    [Fact]
    public void Ranges_are_inclusive_like_the_kernel_prints_them()
    {
        var r = new PhysRange(0x100000, 0x1fffff);
        Assert.Equal(0x100000UL, r.Size);
        Assert.True(r.Overlaps(new PhysRange(0x1fffff, 0x200000)));
        Assert.False(r.Overlaps(new PhysRange(0x200000, 0x2fffff)));
        Assert.Equal("[0x100000-0x1fffff]", r.ToString());
    }

    [Fact]
    public void Random_streams_are_reproducible_from_the_seed()
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.NotEqual(new SimRandom(1).NextUInt64(), new SimRandom(2).NextUInt64());
    }

    [Fact]
    public void Input_errors_name_file_line_and_column()
    {
        var e = new InputException(new SourceSpan("a.yaml", 3, 7), "unknown key 'foo'");
        Assert.Equal("a.yaml:3:7: error: unknown key 'foo'", e.Message);
        var b = new InputException(SourceSpan.AtByte("t.dat", 40), "bad length");
        Assert.Equal("t.dat: error: at byte offset 40 (0x28): bad length", b.Message);
    }
}
