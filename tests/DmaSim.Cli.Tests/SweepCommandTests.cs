namespace DmaSim.Cli.Tests;

/// <summary>`dmasim sweep`: determinism, shards that merge to the unsharded bytes, and errors at their place.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private static readonly string[] OutputFiles = ["rows.jsonl", "rows.parquet", "summary.txt", "sweep.json"];

    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-sweep-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string axes)
    {
        var path = Path.Combine(_dir, "spec.yaml");
        File.WriteAllText(path, $"schema: dmasim-sweep/v1\nname: t\nbase: {Dmasim.SeedFile}\naxes:\n{axes}");
        return path;
    }

    private string Out(string name) => Path.Combine(_dir, name);

    private const string SmallAxes = "  profile: [linux-2.6.31, linux-2.6.32-rc5, linux-2.6.32]\n  ram: [2GiB, 8GiB]\n  set:\n    workload.0.count: [4]\n";

    [Fact]
    public void Two_runs_write_identical_bytes_and_merged_shards_equal_the_unsharded_run()
    {
        var spec = Spec(SmallAxes);
        var whole = Dmasim.Run("sweep", spec, "-o", Out("whole"), "--quiet");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Contains("sweep t: 6 cells, 6 rows", whole.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"profile\s+linux-2\.6\.32-rc5\s+1\s+1", whole.Stdout);
        var again = Dmasim.Run("sweep", spec, "-o", Out("again"), "--quiet", "--format", "jsonl");
        Assert.Equal(File.ReadAllText(Path.Combine(Out("whole"), "rows.jsonl")), again.Stdout);
        foreach (var i in new[] { 0, 1, 2, 3 })
        {
            var shard = Dmasim.Run("sweep", spec, "-o", Out($"shard-{i}"), "--shard", $"{i}/4", "--quiet");
            Assert.True(shard.ExitCode == 0, shard.Stderr);
        }
        var merged = Dmasim.Run("sweep", "merge", Out("shard-2"), Out("shard-0"), Out("shard-3"), Out("shard-1"), "-o", Out("merged"));
        Assert.True(merged.ExitCode == whole.ExitCode, merged.Stderr);
        Assert.Equal(whole.Stdout, merged.Stdout);
        foreach (var f in OutputFiles)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Out("whole"), f)), File.ReadAllBytes(Path.Combine(Out("again"), f)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(Out("whole"), f)), File.ReadAllBytes(Path.Combine(Out("merged"), f)));
        }
        var missing = Dmasim.Run("sweep", "merge", Out("shard-0"), Out("shard-1"), Out("shard-3"), "-o", Out("bad"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("shard(s) 2/4 missing", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_exits_2_with_its_place()
    {
        var shard = Dmasim.Run("sweep", Spec(SmallAxes), "--shard", "4/4");
        Assert.Equal(2, shard.ExitCode);
        Assert.StartsWith("dmasim: error: --shard: '4/4' is not I/N", shard.Stderr, StringComparison.Ordinal);
        var value = Dmasim.Run("sweep", Spec("  set:\n    devices.smartarray.address-bits: [64, 99]\n"), "--quiet");
        Assert.Equal(2, value.ExitCode);
        Assert.Equal($"{Path.Combine(_dir, "spec.yaml")}:6:43: error: address-bits must be between 24 and 64, not 99\n", value.Stderr);
        Assert.Empty(value.Stdout);
    }
}
