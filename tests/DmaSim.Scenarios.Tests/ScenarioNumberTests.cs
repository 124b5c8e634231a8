using CsCheck;
using DmaSim.Core;

namespace DmaSim.Scenarios.Tests;

/// <summary>Decimal, 0x hex and binary sizes; formatting then parsing gives the number back.</summary>
public sealed class ScenarioNumberTests
{
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("4096", 4096UL)]
    [InlineData("0x0", 0UL)]
    [InlineData("0xfed90000", 0xfed90000UL)]
    [InlineData("0XFED90000", 0xfed90000UL)]
    [InlineData("0x00000000000000000001", 1UL)]
    [InlineData("0xffffffffffffffff", ulong.MaxValue)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("4KiB", 4096UL)]
    [InlineData("64MiB", 64UL << 20)]
    [InlineData("8GiB", 8UL << 30)]
    [InlineData("16TiB", 16UL << 40)]
    [InlineData("2PiB", 2UL << 50)]
    [InlineData("15EiB", 15UL << 60)]
    [InlineData("0KiB", 0UL)]
    public void Parses(string text, ulong expected) => Assert.Equal(expected, ScenarioNumber.Parse(text));

    [Theory]
    [InlineData("", "'' is not a number (write decimal, 0x hex, or a size such as 64KiB)")]
    [InlineData("-1", "'-1' is not a number (write decimal, 0x hex, or a size such as 64KiB)")]
    [InlineData("+1", "'+1' is not a number (write decimal, 0x hex, or a size such as 64KiB)")]
    [InlineData("0x", "'0x' is not a number (hex digits after 0x only)")]
    [InlineData("0xg", "'0xg' is not a number (hex digits after 0x only)")]
    [InlineData("0x1_0000", "'0x1_0000' is not a number (hex digits after 0x only)")]
    [InlineData("0x10000000000000000", "'0x10000000000000000' does not fit in 64 bits")]
    [InlineData("18446744073709551616", "'18446744073709551616' does not fit in 64 bits")]
    [InlineData("16EiB", "'16EiB' does not fit in 64 bits")]
    [InlineData("64MB", "unknown size unit 'MB' in '64MB'; units are KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)")]
    [InlineData("4kib", "unknown size unit 'kib' in '4kib'; units are KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)")]
    [InlineData("4 KiB", "unknown size unit ' KiB' in '4 KiB'; units are KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)")]
    [InlineData("1.5GiB", "unknown size unit '.5GiB' in '1.5GiB'; units are KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)")]
    public void Refuses(string text, string problem)
    {
        Assert.False(ScenarioNumber.TryParse(text, out _, out var actual));
        Assert.Equal(problem, actual);
        Assert.Equal(problem, Assert.Throws<FormatException>(() => ScenarioNumber.Parse(text)).Message);
    }

    [Fact]
    public void Sizes_format_round_trips() =>
        Gen.Select(Gen.ULong[0, 1UL << 24], Gen.Int[0, 40], (n, shift) => n << shift)
            .Sample(bytes => Assert.Equal(bytes, ScenarioNumber.Parse(Sizes.Format(bytes))));

    [Fact]
    public void Any_64_bit_value_round_trips_through_decimal_hex_and_size() =>
        Gen.ULong.Sample(v =>
        {
            Assert.Equal(v, ScenarioNumber.Parse(v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(v, ScenarioNumber.Parse(Hex.Format(v)));
            Assert.Equal(v, ScenarioNumber.Parse(Hex.Format(v, 16).ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal)));
            Assert.Equal(v, ScenarioNumber.Parse(Sizes.Format(v)));
        });

    [Fact]
    public void Every_unit_scales_by_its_power_of_1024() =>
        Gen.Select(Gen.ULong[0, 15], Gen.Int[0, ScenarioNumber.Units.Count - 1], (n, unit) => (n, unit))
            .Sample(t => Assert.Equal(t.n << (10 * (t.unit + 1)), ScenarioNumber.Parse($"{t.n}{ScenarioNumber.Units[t.unit]}")));
}
