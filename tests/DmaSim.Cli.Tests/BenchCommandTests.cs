using System.Text.Json;

namespace DmaSim.Cli.Tests;

/// <summary>`dmasim bench` takes dma_map_benchmark's options with their meanings and prints the kernel tool's lines first.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public void Kernel_tool_lines_come_first_in_microseconds()
    {
        var r = Dmasim.Run("bench", "--mode", "passthrough", "-t", "1", "-s", "0.1", "-n", "0", "-b", "36", "-x", "1000", "-d", "2", "-g", "2");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("dma mapping benchmark: threads:1 seconds:0.1 node:0 dir:FROM_DEVICE granule: 2", lines[0]);
        Assert.Matches(@"^average map latency\(us\):\d+\.\d standard deviation:\d+\.\d$", lines[1]);
        Assert.Matches(@"^average unmap latency\(us\):\d+\.\d standard deviation:\d+\.\d$", lines[2]);
        Assert.Contains("dma bits 36, transfer delay 1000 ns", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("note: node 0 accepted", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_reports_the_kernel_options_and_microseconds()
    {
        var r = Dmasim.Run("bench", "--mode", "direct", "-s", "0.1", "-b", "40", "-d", "1", "--format", "json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(40, root.GetProperty("dmaBits").GetInt32());
        Assert.Equal(-1, root.GetProperty("node").GetInt32());
        Assert.Equal("TO_DEVICE", root.GetProperty("dir").GetString());
        Assert.Equal(Math.Round(root.GetProperty("mapNs").GetDouble() / 1000, 1), root.GetProperty("mapUs").GetDouble(), 1);
    }

    [Theory]
    [InlineData("-b", "12", "-b: dma bits must be 20..64")]
    [InlineData("-b", "65", "-b: dma bits must be 20..64")]
    [InlineData("-n", "3", "-n: invalid numa node")]
    [InlineData("-x", "20000000", "-x: transfer delay must be 0..10000000 ns")]
    public void Values_the_kernel_refuses_are_usage_errors(string option, string value, string message)
    {
        var r = Dmasim.Run("bench", "-s", "0.1", option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dmasim: error: " + message, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Swiotlb_mode_with_a_wide_mask_is_refused_because_nothing_would_bounce()
    {
        var r = Dmasim.Run("bench", "--mode", "swiotlb", "-s", "0.1", "-b", "64");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("-b: swiotlb mode bounces a buffer above 4 GiB", r.Stderr, StringComparison.Ordinal);
    }
}
