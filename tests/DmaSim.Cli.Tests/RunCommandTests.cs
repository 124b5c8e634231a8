using System.Text.Json;
using System.Text.RegularExpressions;

namespace DmaSim.Cli.Tests;

/// <summary>`dmasim run`: the contract of DESIGN.md (exit codes, JSON fields, error format). Few processes, on purpose.</summary>
public sealed class RunCommandTests : IDisposable
{
    private static readonly string[] _profiles =
        ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2", "linux-2.6.32", "linux-2.6.32.7", "linux-2.6.33", "linux-3.0",
         "linux-4.19", "linux-5.4", "linux-5.10", "linux-5.15", "linux-6.1", "linux-6.6", "linux-6.12"];

    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Run_without_arguments_prints_the_seed_matrix_with_eight_profile_columns()
    {
        var r = Dmasim.Run("run");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var header = r.Stdout.Split('\n').First(l => l.Contains("scenario", StringComparison.Ordinal) && l.Contains("2.6.31", StringComparison.Ordinal));
        foreach (var p in _profiles)
            Assert.Matches(@"(^|\s)" + Regex.Escape(p.Replace("linux-", "", StringComparison.Ordinal)) + @"(\s|$)", header);
        var row = r.Stdout.Split('\n').First(l => l.Contains("smartarray-passthrough", StringComparison.Ordinal));
        Assert.Contains("stall ✓", row, StringComparison.Ordinal);
        Assert.DoesNotContain("✗", row, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_for_all_profiles_is_an_array_of_one_contract_object_per_profile()
    {
        var r = Dmasim.Run("run", Dmasim.SeedFile, "--profile", "all", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var runs = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(_profiles.Length, runs.Count);
        Assert.Equal(_profiles, runs.Select(x => x.GetProperty("profile").GetString()));
        foreach (var run in runs)
        {
            Assert.Equal("dmasim-result/v1", run.GetProperty("schema").GetString());
            Assert.Equal("smartarray-passthrough", run.GetProperty("scenario").GetString());
            Assert.Equal("intel_iommu=on iommu=pt", run.GetProperty("cmdline").GetString());
            var dev = Assert.Single(run.GetProperty("devices").EnumerateArray());
            Assert.Equal("smartarray", dev.GetProperty("name").GetString());
            Assert.Equal("03:00.0", dev.GetProperty("bdf").GetString());
            Assert.Equal(64, dev.GetProperty("dmaMaskBits").GetInt32());
            Assert.Equal(32, dev.GetProperty("coherentDmaMaskBits").GetInt32());
            Assert.False(string.IsNullOrEmpty(dev.GetProperty("domain").GetString()));
            Assert.False(string.IsNullOrEmpty(dev.GetProperty("dmaOps").GetString()));
            var outcome = dev.GetProperty("outcome").GetString();
            Assert.Equal(run.GetProperty("profile").GetString() == "linux-2.6.32-rc5" ? "stall" : "ok", outcome);
            foreach (var f in run.GetProperty("findings").EnumerateArray())
                foreach (var key in new[] { "kind", "device", "message" })
                    Assert.Equal(JsonValueKind.String, f.GetProperty(key).ValueKind);
            Assert.All(run.GetProperty("log").EnumerateArray(), l => Assert.Equal(JsonValueKind.String, l.ValueKind));
            Assert.NotEmpty(run.GetProperty("log").EnumerateArray());
            var expectations = run.GetProperty("expectations").EnumerateArray().ToList();
            Assert.NotEmpty(expectations);
            Assert.All(expectations, e =>
            {
                Assert.Equal(JsonValueKind.String, e.GetProperty("text").ValueKind);
                Assert.True(e.GetProperty("held").GetBoolean());
            });
        }
        var rc5 = runs[1];
        Assert.Contains(rc5.GetProperty("findings").EnumerateArray(), f => f.GetProperty("device").GetString() == "smartarray");
    }

    private const string Valid = """
        schema: dmasim/v1
        name: small
        platform:
          physical-address-bits: 40
          memory:
            - { start: 0x0, end: 0x9ffff, type: usable }
            - { start: 0x100000, end: 0x7fffffff, type: usable }
          iommu: none
          devices:
            - { bdf: "03:00.0", name: dev, model: scripted, address-bits: 64 }
        kernel:
          profile: linux-2.6.32
          cmdline: ""
        workload:
          - { device: dev, op: alloc-coherent, size: 4KiB, as: ring }
        expect:
          - { device: dev, outcome: ok }

        """;

    [Fact]
    public void A_failing_expectation_exits_1_and_a_held_one_exits_0()
    {
        var good = Dmasim.Run("run", Write("good.yaml", Valid));
        Assert.True(good.ExitCode == 0, good.Stdout + good.Stderr);
        var bad = Dmasim.Run("run", Write("bad.yaml", Valid.Replace("outcome: ok", "outcome: stall", StringComparison.Ordinal)));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("FAILED", bad.Stdout, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string, int?> BadScenarios() => new()
    {
        // kind, text to replace in Valid, replacement, expected line (null: any)
        { "unknown key", "name: small", "name: small\ncolour: red", 3 },
        { "bad number", "physical-address-bits: 40", "physical-address-bits: forty", 4 },
        { "overlapping ranges", "end: 0x7fffffff, type: usable }", "end: 0x7fffffff, type: usable }\n    - { start: 0x7ff00000, end: 0x8fffffff, type: usable }", null },
        { "unknown profile", "profile: linux-2.6.32", "profile: linux-9.9", 12 },
        { "unknown device in a step", "- { device: dev, op: alloc-coherent", "- { device: nosuch, op: alloc-coherent", 15 },
        { "bad BDF", "bdf: \"03:00.0\"", "bdf: \"zz:00.0\"", 10 },
        { "duplicate device name", "address-bits: 64 }", "address-bits: 64 }\n    - { bdf: \"04:00.0\", name: dev, model: scripted }", 11 },
        { "unknown model", "model: scripted", "model: toaster", 10 },
        { "missing required field", "name: dev, model: scripted, ", "name: dev, ", 10 },
        { "wrong schema", "schema: dmasim/v1", "schema: dmasim/v2", 1 },
        { "unknown outcome", "outcome: ok", "outcome: exploded", 17 },
        { "buffer never created", "op: alloc-coherent, size: 4KiB, as: ring }", "op: unmap, target: nosuch }", 15 },
        { "YAML syntax error", "- { device: dev, outcome: ok }", "- { device: dev, outcome: ok", null },
        { "unknown op", "op: alloc-coherent", "op: frobnicate", 15 },
    };

    [Theory]
    [MemberData(nameof(BadScenarios))]
    public void Bad_scenarios_exit_2_with_file_line_col_and_no_stack_trace(string kind, string find, string replace, int? line)
    {
        Assert.Contains(find, Valid, StringComparison.Ordinal);
        var path = Write("bad-" + kind.Replace(' ', '-') + ".yaml", Valid.Replace(find, replace, StringComparison.Ordinal));
        var r = Dmasim.Run("run", path);
        Assert.True(r.ExitCode == 2, $"{kind}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        var first = r.Stderr.Split('\n')[0];
        var m = Regex.Match(first, "^" + Regex.Escape(path) + @":(?<line>\d+):(?<col>\d+): error: \S");
        Assert.True(m.Success, $"{kind}: {r.Stderr}");
        if (line is { } l) Assert.Equal(l, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.DoesNotMatch(@"\n\s+at [\w.]+\(", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout.Trim());
    }

    [Fact]
    public void A_missing_file_exits_2_naming_the_file()
    {
        var path = Path.Combine(_dir, "does-not-exist.yaml");
        var r = Dmasim.Run("run", path);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith(path + ":", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(": error: ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_profile_override_exits_2()
    {
        var r = Dmasim.Run("run", Dmasim.SeedFile, "--profile", "nosuch");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dmasim: error: --profile: unknown profile 'nosuch'", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("linux-2.6.32-rc5+alex", r.Stderr, StringComparison.Ordinal);
    }
}
