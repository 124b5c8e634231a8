using System.Text.Json;
using DmaSim.Testing;

namespace DmaSim.Cli.Tests;

/// <summary>The CLI contract of DESIGN.md for `dmasim run`: matrix, JSON fields, exit codes, error format.</summary>
public sealed class RunCommandContractTests : IDisposable
{
    private static readonly string[] Profiles =
        ["2.6.31", "2.6.32-rc5", "2.6.32-rc5+alex", "2.6.32-rc5+dwmw2", "2.6.32", "2.6.33", "3.0", "6.1"];

    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Seed(string name) => Path.Combine(SharedData.RepoRoot, "scenarios", "seed", name + ".yaml");

    [Fact]
    public void Run_without_arguments_prints_the_seed_matrix_with_all_eight_profiles_and_exits_0()
    {
        var (code, output, err) = CliProcess.Run("run");
        Assert.True(code == ExitCodes.Ok, err + output);
        foreach (var p in Profiles) Assert.Contains(p, output, StringComparison.Ordinal);
        Assert.Contains("smartarray-passthrough", output, StringComparison.Ordinal);
        Assert.Contains("every expectation held", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_for_all_profiles_has_the_contract_fields_and_the_seed_outcomes()
    {
        var (code, output, err) = CliProcess.Run("run", Seed("smartarray-passthrough"), "--profile", "all", "--format", "json");
        Assert.True(code == ExitCodes.Ok, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(8, doc.RootElement.GetArrayLength());
        foreach (var run in doc.RootElement.EnumerateArray())
        {
            Assert.Equal("dmasim-result/v1", run.GetProperty("schema").GetString());
            foreach (var f in new[] { "scenario", "profile", "cmdline", "devices", "findings", "log", "expectations" }) Assert.True(run.TryGetProperty(f, out _), f);
            var dev = run.GetProperty("devices")[0];
            foreach (var f in new[] { "name", "bdf", "dmaMaskBits", "coherentDmaMaskBits", "domain", "dmaOps", "outcome" }) Assert.True(dev.TryGetProperty(f, out _), f);
            var profile = run.GetProperty("profile").GetString();
            Assert.Equal(profile == "linux-2.6.32-rc5" ? "stall" : "ok", dev.GetProperty("outcome").GetString());
            Assert.Equal(profile == "linux-3.0" ? "translated" : "passthrough", dev.GetProperty("domain").GetString());
            foreach (var e in run.GetProperty("expectations").EnumerateArray())
            {
                Assert.True(e.TryGetProperty("text", out _));
                Assert.True(e.GetProperty("held").GetBoolean());
            }
            if (profile == "linux-2.6.32-rc5")
            {
                var stray = run.GetProperty("findings").EnumerateArray().First(f => f.GetProperty("kind").GetString() == "stray-control-read");
                var msg = stray.GetProperty("message").GetString()!;
                Assert.Matches(@"handed DMA address 0x2[0-9a-f]{8} but its 32 descriptor address lines drove 0x[0-9a-f]{1,8};", msg);
                Assert.Contains("which is free RAM", msg, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_broken_expectation_exits_1()
    {
        var text = File.ReadAllText(Seed("smartarray-passthrough")).Replace("outcome: stall, profile: linux-2.6.32-rc5", "outcome: ok, profile: linux-2.6.32-rc5", StringComparison.Ordinal);
        var path = Path.Combine(_dir, "broken-expectation.yaml");
        File.WriteAllText(path, text);
        var (code, output, _) = CliProcess.Run("run", path, "--profile", "linux-2.6.32-rc5");
        Assert.Equal(ExitCodes.ExpectationFailed, code);
        Assert.Contains("FAILED smartarray outcome ok", output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadScenarios() => new()
    {
        { "unknown key", "  cmdline: intel_iommu=on iommu=pt", "  cmdline: intel_iommu=on iommu=pt\n  colour: red" },
        { "bad number", "physical-address-bits: 40", "physical-address-bits: forty" },
        { "overlapping ranges", "{ start: 0xf0000, end: 0xfffff, type: reserved }", "{ start: 0x90000, end: 0xfffff, type: reserved }" },
        { "unknown profile", "profile: linux-2.6.32-rc5", "profile: linux-9.9" },
        { "unknown device in a step", "- { device: smartarray, run: io", "- { device: nosuch, run: io" },
        { "bad bdf", "bdf: \"03:00.0\"", "bdf: \"3:0.0\"" },
        { "unknown model", "model: storage-controller", "model: toaster" },
        { "wrong schema", "schema: dmasim/v1", "schema: dmasim/v9" },
        { "unknown outcome", "outcome: stall, profile", "outcome: melted, profile" },
        { "bad size unit", "size: 64KiB", "size: 64KB" },
        { "range end before start", "{ start: 0x100000000, end: 0x23fffffff", "{ start: 0x100000000, end: 0x23ffff" },
        { "yaml syntax", "seed: 1", "seed: [1" },
        { "unknown dma ops", "dma-ops: swiotlb", "dma-ops: magic" },
    };

    [Theory]
    [MemberData(nameof(BadScenarios))]
    public void Bad_scenarios_exit_2_with_file_line_column(string kind, string from, string to)
    {
        var text = File.ReadAllText(Seed("smartarray-passthrough"));
        Assert.Contains(from, text, StringComparison.Ordinal);
        var path = Path.Combine(_dir, kind.Replace(' ', '-') + ".yaml");
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        var (code, output, err) = CliProcess.Run("run", path);
        Assert.True(code == ExitCodes.BadInput, $"{kind}: exit {code}\n{err}{output}");
        Assert.Matches("^" + System.Text.RegularExpressions.Regex.Escape(path) + @":\d+:\d+: error: ", err);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_and_unknown_profile_option_exit_2()
    {
        var (code, _, err) = CliProcess.Run("run", Path.Combine(_dir, "nope.yaml"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("nope.yaml", err, StringComparison.Ordinal);
        (code, _, err) = CliProcess.Run("run", Seed("smartarray-4gib"), "--profile", "linux-9.9");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("unknown profile 'linux-9.9'", err, StringComparison.Ordinal);
    }
}
