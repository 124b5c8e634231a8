using System.Text.Json;
using DmaSim.Testing;
using Json.Schema;

namespace DmaSim.Cli.Tests;

/// <summary>
/// Real outputs of every JSON-producing command validate against the schemas in schemas/ (JsonSchema.Net), and the
/// schemas are strict enough to catch a field nobody documented.
/// </summary>
public sealed class JsonSchemaTests
{
    private static string Sample(params string[] parts) => Path.Combine([SharedData.RepoRoot, "samples", .. parts]);

    public static TheoryData<string, string[]> Outputs() => new()
    {
        { "dmasim-result.v1", ["run", Dmasim.SeedFile, "--format", "json"] },
        { "dmasim-result.v1", ["run", Dmasim.SeedFile, "--profile", "all", "--format", "json"] },
        { "dmasim-result.v1", ["run", Path.Combine(SharedData.RepoRoot, "scenarios", "seed", "swiotlb-exhaustion.yaml"), "--profile", "all", "--format", "json"] },
        { "dmasim-dmar.v1", ["dmar", "decode", Sample("dmar", "lenovo-thinkpad-t410_1C0315195E84.dat"), "--format", "json"] },
        { "dmasim-dmar.v1", ["dmar", "decode", Sample("dmar", "apple-macbookpro14-3_91077C25D705.dat"), Sample("dmar", "framework-laptop-13-mtl_717EDB7C4975.dat"), "--format", "json"] },
        { "dmasim-dmar-lint.v1", ["dmar", "lint", Sample("dmar", "hp-compaq-dc7800-sff_80DC1538C4FA.dat"), "--format", "json"] },
        { "dmasim-bench.v1", ["bench", "--mode", "lazy", "--seconds", "0.1", "--format", "json"] },
        { "dmasim-iova-bench.v1", ["iova", "bench", "--workload", "cache-hit", "--ops", "200", "--format", "json"] },
        { "dmasim-iova-bench.v1", ["iova", "bench", "--workload", "tree", "--live", "64", "--ops", "200", "--format", "json"] },
        { "dmasim-iova-bench.v1", ["iova", "bench", "--workload", "churn", "--live", "1000", "--ops", "100", "--format", "json"] },
        { "dmasim-iova-bench.v1", ["iova", "bench", "--workload", "full32", "--format", "json"] },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Output_validates_against_its_schema(string schema, string[] args)
    {
        var r = Dmasim.Run(args);
        Assert.True(r.ExitCode is 0 or 1, r.Stderr);
        var errors = Validate(schema, r.Stdout);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    /// <summary>
    /// The real-machine flow of the README: a shared sample log imported, run without a workload under every
    /// profile and two command lines. The JSON validates, names the default workload, and the Smart Array stalls
    /// where 2.6.32-rc5 with iommu=pt would; the text form prints the device matrix (its "[n]" column headers are
    /// text, not markup) and the workload line.
    /// </summary>
    [Fact]
    public void An_imported_machine_without_workload_validates_and_names_the_default()
    {
        var dir = Directory.CreateTempSubdirectory("dmasim-schema-").FullName;
        var machine = Path.Combine(dir, "g6.yaml");
        var import = Dmasim.Run("import", "--dmesg", Sample("dmesg", "hp-proliant-dl360-g6_5A1D7821BD30_4.19.0-10-amd64-intel_iommu_on.dmesg.txt"), "-o", machine);
        Assert.True(import.ExitCode == 0, import.Stderr);
        string[] run = ["run", machine, "--profile", "all", "--cmdline", "intel_iommu=on", "--cmdline", "intel_iommu=on iommu=pt"];
        var json = Dmasim.Run([.. run, "--format", "json"]);
        Assert.True(json.ExitCode == 0, json.Stderr);
        var errors = Validate("dmasim-result.v1", json.Stdout);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.All(doc.RootElement.EnumerateArray(), r => Assert.Equal("default", r.GetProperty("workload").GetString()));
        var stalled = doc.RootElement.EnumerateArray()
            .Where(r => r.GetProperty("devices").EnumerateArray().Any(d => d.GetProperty("driver").GetString() == "hpsa" && d.GetProperty("outcome").GetString() == "stall"))
            .Select(r => (r.GetProperty("profile").GetString(), r.GetProperty("cmdline").GetString())).ToList();
        Assert.Equal([("linux-2.6.32-rc5", "intel_iommu=on iommu=pt")], stalled);
        var text = Dmasim.Run(run);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("2.6.32-rc5 [2]", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("workload: default", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("@ 2.6.32-rc5 [2]: stall", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing above was checked against a claim", text.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Sweep output is JSON Lines: every line is one row object of dmasim-sweep-row/v1.</summary>
    [Fact]
    public void Every_sweep_row_validates_against_its_schema()
    {
        var dir = Directory.CreateTempSubdirectory("dmasim-schema-sweep-").FullName;
        try
        {
            var spec = Path.Combine(dir, "spec.yaml");
            File.WriteAllText(spec, $"schema: dmasim-sweep/v1\nname: t\nbase: {Dmasim.SeedFile}\naxes:\n  profile: all\n  cmdline: [\"intel_iommu=on\", \"intel_iommu=on iommu=pt\"]\n");
            var r = Dmasim.Run("sweep", spec, "--format", "jsonl", "--quiet");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length >= 2 * 9, r.Stdout);
            foreach (var line in lines)
            {
                var errors = Validate("dmasim-sweep-row.v1", line);
                Assert.True(errors.Count == 0, line + "\n" + string.Join('\n', errors));
            }
            Assert.Contains(lines, l => l.Contains("\"flush\":\"lazy\"", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_undocumented_field_fails_validation()
    {
        var run = Dmasim.Run("run", Dmasim.SeedFile, "--format", "json").Stdout;
        var tampered = run.Replace("\"outcome\": \"stall\"", "\"outcome\": \"stall\", \"surprise\": 1", StringComparison.Ordinal);
        Assert.NotEqual(run, tampered);
        Assert.NotEmpty(Validate("dmasim-result.v1", tampered));
        Assert.NotEmpty(Validate("dmasim-result.v1", run.Replace("\"domain\": \"passthrough\"", "\"domain\": \"sideways\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Every_schema_is_valid_json_schema_and_names_its_tag()
    {
        Assert.True(_schemas.Count >= 4);
        foreach (var file in Directory.GetFiles(Path.Combine(SharedData.RepoRoot, "schemas"), "*.schema.json"))
        {
            var tag = Path.GetFileName(file).Replace(".schema.json", "", StringComparison.Ordinal).Replace(".v", "/v", StringComparison.Ordinal);
            Assert.Contains($"({tag})", File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    /// <summary>Each schema is built once: JsonSchema.Net registers a schema by its $id globally.</summary>
    private static readonly Dictionary<string, JsonSchema> _schemas = Directory
        .GetFiles(Path.Combine(SharedData.RepoRoot, "schemas"), "*.schema.json")
        .ToDictionary(f => Path.GetFileName(f).Replace(".schema.json", "", StringComparison.Ordinal), f => JsonSchema.FromText(File.ReadAllText(f)));

    private static List<string> Validate(string schemaName, string json)
    {
        var schema = _schemas[schemaName];
        using var doc = JsonDocument.Parse(json);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"))];
    }
}
