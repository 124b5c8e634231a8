using System.Text.Json;

namespace DmaSim.Cli.Tests;

/// <summary><c>dmasim iova bench</c>: the JSON contract per workload and one-line errors for bad options (exit 2).</summary>
public sealed class IovaBenchCommandTests
{
    [Fact]
    public void Churn_json_has_the_pair_statistics()
    {
        var (code, stdout, stderr) = Dmasim.Run("iova", "bench", "--workload", "churn", "--live", "2000", "--ops", "50", "--reps", "3", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal("dmasim-iova-bench/v1", root.GetProperty("schema").GetString());
        Assert.Equal("churn", root.GetProperty("workload").GetString());
        Assert.Equal(2000, root.GetProperty("live").GetInt32());
        Assert.Equal("0xc0ffee", root.GetProperty("seed").GetString());
        Assert.Equal(3, root.GetProperty("repetitionNsPerPair").GetArrayLength());
        foreach (var field in new[] { "nsPerPair", "avgNs", "p50Ns", "p99Ns", "maxNs" })
            Assert.True(root.GetProperty(field).GetDouble() > 0, field);
        Assert.Equal(150, root.GetProperty("samples").GetInt32());
        Assert.False(root.TryGetProperty("firstFailNs", out _));
    }

    [Theory]
    [InlineData("--workload", "btree", "--workload: 'btree' is not one of cache-hit, tree, churn, full32")]
    [InlineData("--live", "-3", "--live: '-3' is not a non-negative integer")]
    [InlineData("--ops", "0", "--ops: must be 1..")]
    [InlineData("--ops", "99999999999999999999", "--ops: '99999999999999999999' is too large (at most ")]
    [InlineData("--live", "0x1ffffffffffffffff", "--live: '0x1ffffffffffffffff' is too large (at most ")]
    [InlineData("--live", "0x", "--live: '0x' is not a non-negative integer")]
    [InlineData("--reps", "1", "--reps: must be 3..101")]
    [InlineData("--format", "xml", "--format: 'xml' is not text or json")]
    public void Bad_option_exits_2_with_one_line(string option, string value, string message)
    {
        var (code, stdout, stderr) = Dmasim.Run("iova", "bench", "--workload", option == "--workload" ? value : "tree", option == "--workload" ? "--reps" : option, option == "--workload" ? "3" : value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dmasim: error: " + message, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }
}
