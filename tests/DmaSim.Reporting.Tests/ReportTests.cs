using System.Text.Json;
using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;
using DmaSim.Testing;

namespace DmaSim.Reporting.Tests;

public class ReportTests
{
    private static string SeedPath => RepoFiles.Seed("smartarray-passthrough");

    private static RunResult Sample(bool held = true, Outcome outcome = Outcome.Ok) => new(
        "s", "s.yaml", "linux-2.6.32", "summary", "iommu=pt", 1,
        [new DeviceResult("dev", "03:00.0", 64, 32, DeviceDomain.PassThrough, DmaOpsKind.IntelIommu, outcome, DeviceKind.Scripted)],
        [new Finding(FindingKind.StrayWrite, "dev", Outcome.Corruption, "m")],
        ["[    0.000000] line"],
        [new ExpectationResult("dev outcome ok", held, held ? null : "stall")],
        [], [new Counter("dma-transactions", 3)], 42);

    [Fact]
    public void Two_runs_of_the_seed_give_byte_identical_json()
    {
        var a = JsonReport.Write([.. ProfileCatalog.All.Select(p => ScenarioRunner.Run(ScenarioLoader.Load(SeedPath), p))]);
        var b = JsonReport.Write([.. ProfileCatalog.All.Select(p => ScenarioRunner.Run(ScenarioLoader.Load(SeedPath), p))]);
        Assert.Equal(a, b);
        Assert.Contains("\"profile\": \"linux-2.6.32-rc5\"", a, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_field_names_and_order_follow_the_contract()
    {
        using var doc = JsonDocument.Parse(JsonReport.Write([Sample()]));
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);   // a single run is an object, not an array
        var names = root.EnumerateObject().Select(p => p.Name).ToList();
        string[] contract = ["schema", "scenario", "profile", "cmdline", "devices", "findings", "expectations", "log"];
        var positions = contract.Select(n => names.IndexOf(n)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(0, names.IndexOf("schema"));
        Assert.Equal("dmasim-result/v1", root.GetProperty("schema").GetString());
        var dev = root.GetProperty("devices")[0].EnumerateObject().Select(p => p.Name).ToList();
        string[] devFields = ["name", "bdf", "dmaMaskBits", "coherentDmaMaskBits", "domain", "dmaOps", "outcome"];
        var devPos = devFields.Select(n => dev.IndexOf(n)).ToList();
        Assert.DoesNotContain(-1, devPos);
        Assert.Equal(devPos.Order(), devPos);
        Assert.Equal(["kind", "device", "outcome", "message"], root.GetProperty("findings")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("corruption", root.GetProperty("findings")[0].GetProperty("outcome").GetString());
        var exp = root.GetProperty("expectations")[0];
        Assert.Equal("dev outcome ok", exp.GetProperty("text").GetString());
        Assert.True(exp.GetProperty("held").GetBoolean());
        Assert.Equal("[    0.000000] line", root.GetProperty("log")[0].GetString());
        Assert.Equal(3, root.GetProperty("counters").GetProperty("dma-transactions").GetInt32());
    }

    [Fact]
    public void Several_runs_are_a_json_array()
    {
        using var doc = JsonDocument.Parse(JsonReport.Write([Sample(), Sample(held: false)]));
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        Assert.False(doc.RootElement[1].GetProperty("expectations")[0].GetProperty("held").GetBoolean());
        Assert.Equal("stall", doc.RootElement[1].GetProperty("expectations")[0].GetProperty("actual").GetString());
    }

    [Fact]
    public void Matrix_marks_held_with_a_check_and_broken_with_a_cross()
    {
        var ok = Sample() with { Scenario = "good" };
        var broken = Sample(held: false, outcome: Outcome.Stall) with { Scenario = "bad" };
        var text = TextReport.Matrix([ok, broken]);
        var lines = text.Split('\n');
        var good = lines.Single(l => l.Contains("good", StringComparison.Ordinal) && !l.Contains("runs", StringComparison.Ordinal));
        var bad = lines.Single(l => l.Contains(" bad ", StringComparison.Ordinal) || l.TrimStart().StartsWith("bad", StringComparison.Ordinal));
        Assert.Contains("ok ✓", good, StringComparison.Ordinal);
        Assert.DoesNotContain("✗", good, StringComparison.Ordinal);
        Assert.Contains("stall ✗", bad, StringComparison.Ordinal);
        Assert.Contains("1 with a broken expectation", text, StringComparison.Ordinal);
        Assert.Contains("2.6.32", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_of_the_seed_has_a_column_per_profile_and_only_held_marks()
    {
        var s = ScenarioLoader.Load(SeedPath);
        var text = TextReport.Matrix([.. ProfileCatalog.All.Select(p => ScenarioRunner.Run(s, p))]);
        foreach (var p in ProfileCatalog.All) Assert.Contains(p.Name.Replace("linux-", "", StringComparison.Ordinal), text, StringComparison.Ordinal);
        var row = text.Split('\n').Single(l => l.Contains("smartarray-passthrough", StringComparison.Ordinal));
        Assert.Equal(ProfileCatalog.All.Count, row.Split('✓').Length - 1);
        Assert.Contains("stall ✓", row, StringComparison.Ordinal);
        Assert.DoesNotContain("✗", row, StringComparison.Ordinal);
        var runs = ProfileCatalog.All.Select(p => ScenarioRunner.Run(s, p)).ToList();
        Assert.Contains($"{ProfileCatalog.All.Count} runs, every one of {runs.Sum(r => r.Expectations.Count)} expectations held.", text, StringComparison.Ordinal);
    }

    /// <summary>Issue 8: zero expectations never reads as "every expectation held" (matrix and device matrix).</summary>
    [Fact]
    public void A_matrix_without_expectations_says_nothing_was_checked_against_a_claim()
    {
        var none = Sample() with { Expectations = [] };
        var matrix = TextReport.Matrix([none, none with { Profile = "linux-6.1" }]);
        Assert.DoesNotContain("every", matrix, StringComparison.Ordinal);
        Assert.Contains("2 runs; no scenario states an expectation for them, so nothing above was checked against a claim.", matrix, StringComparison.Ordinal);
        var device = TextReport.DeviceMatrix([none, none with { Profile = "linux-6.1" }]);
        Assert.DoesNotContain("every", device, StringComparison.Ordinal);
        Assert.Contains("nothing above was checked against a claim", device, StringComparison.Ordinal);
        // Some runs with, some without: the held count, and the unchecked runs named as such.
        var mixed = TextReport.Matrix([Sample(), none with { Scenario = "t" }]);
        Assert.Contains("2 runs, every one of 1 expectations held (1 of them state no expectation: their cells, marked ·, were not checked against a claim).", mixed, StringComparison.Ordinal);
    }

    /// <summary>The default workload is named in every format: JSON `workload`, the text and HTML line.</summary>
    [Fact]
    public void The_default_workload_is_named_in_json_text_and_html()
    {
        var d = Sample() with { DefaultWorkload = true };
        Assert.Contains("\"workload\": \"default\"", JsonReport.Write([d]), StringComparison.Ordinal);
        Assert.Contains("\"workload\": \"scenario\"", JsonReport.Write([Sample()]), StringComparison.Ordinal);
        Assert.Contains("workload: default (the scenario has no workload", TextReport.Run(d), StringComparison.Ordinal);
        Assert.DoesNotContain("workload:", TextReport.Run(Sample()), StringComparison.Ordinal);
        Assert.Contains("workload: default", HtmlReport.Write([d]), StringComparison.Ordinal);
        Assert.Contains("workload: default for s", TextReport.Matrix([d]), StringComparison.Ordinal);
        Assert.Contains("workload: default", TextReport.DeviceMatrix([d, d with { Profile = "linux-6.1" }]), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_report_shows_failed_expectations_with_what_was_got()
    {
        var text = TextReport.Run(Sample(held: false, outcome: Outcome.Stall));
        Assert.Contains("FAILED dev outcome ok (got stall)", text, StringComparison.Ordinal);
        Assert.Contains("[corruption] stray-write: m", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kernel_panic_shows_as_outcome_panic_in_text_json_and_html()
    {
        var file = Path.Combine(Path.GetDirectoryName(SeedPath)!, "swiotlb-exhaustion.yaml");
        var r = ScenarioRunner.Run(ScenarioLoader.Load(file), ProfileCatalog.Find("linux-2.6.32")!);
        using var doc = JsonDocument.Parse(JsonReport.Write([r]));
        var run = doc.RootElement;
        Assert.Equal("panic", run.GetProperty("devices")[0].GetProperty("outcome").GetString());
        Assert.Contains(run.GetProperty("findings").EnumerateArray(), f => f.GetProperty("outcome").GetString() == "panic");
        Assert.Contains("[panic] kernel-panic: Kernel panic - not syncing", TextReport.Run(r), StringComparison.Ordinal);
        Assert.Contains("<b>panic</b> kernel-panic: Kernel panic - not syncing", HtmlReport.Write([r]), StringComparison.Ordinal);
    }
}
