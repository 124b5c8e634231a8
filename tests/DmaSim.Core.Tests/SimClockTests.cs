using CsCheck;

namespace DmaSim.Core.Tests;

/// <summary>The dmesg timestamp, and a stamped log line as the stamp, a space and the line.</summary>
public sealed class SimClockTests
{
    [Theory]
    [InlineData(0UL, "[    0.000000]")]
    [InlineData(1_234_567_890UL, "[    1.234567]")]
    [InlineData(123_456_000_000_000UL, "[123456.000000]")]
    public void A_stamp_is_seconds_and_microseconds(ulong ns, string stamp) => Assert.Equal(stamp, SimClock.Stamp(ns));

    [Fact]
    public void A_stamped_line_is_its_stamp_a_space_and_the_line() =>
        Gen.Select(Gen.ULong, Gen.String).Sample((ns, line) =>
            Assert.Equal(SimClock.Stamp(ns) + " " + line, SimClock.Stamped(ns, line)), iter: 2000);
}
