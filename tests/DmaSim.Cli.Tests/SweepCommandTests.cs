namespace DmaSim.Cli.Tests;

/// <summary>`dmasim sweep`: determinism, shards that merge to the unsharded bytes, and errors at their place.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private static readonly string[] _outputFiles = ["rows.jsonl", "rows.parquet", "summary.txt", "sweep.json"];

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

    /// <summary>
    /// `fleet: DIR`: scenarios and real boot logs (imported on the fly) side by side; each machine is a value of
    /// the `machine` axis, crossed with the other axes, and a real 6.1 boot keeps its IOMMU groups in the rows.
    /// </summary>
    [Fact]
    public void A_fleet_of_a_scenario_and_a_real_boot_log_runs_every_machine_under_every_cell()
    {
        var fleet = Directory.CreateDirectory(Path.Combine(_dir, "fleet")).FullName;
        File.Copy(Dmasim.SeedFile, Path.Combine(fleet, "seed.yaml"));
        var boot = Path.Combine(DmaSim.Testing.SharedData.RepoRoot, "tests", "oracle", "default-6g");
        File.Copy(Path.Combine(boot, "dmesg.txt"), Path.Combine(fleet, "qemu-q35.dmesg"));
        File.Copy(Path.Combine(boot, "DMAR.dat"), Path.Combine(fleet, "qemu-q35.dat"));
        var spec = Path.Combine(_dir, "fleet.yaml");
        File.WriteAllText(spec, "schema: dmasim-sweep/v1\nname: f\nfleet: fleet\naxes:\n  profile: [linux-3.0, linux-6.1]\n");
        var r = Dmasim.Run("sweep", spec, "--format", "jsonl", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(rows, l => l.Contains("\"machine\":\"seed\"", StringComparison.Ordinal) && l.Contains("\"profile\":\"linux-3.0\"", StringComparison.Ordinal));
        var real61 = rows.Where(l => l.Contains("\"machine\":\"qemu-q35\"", StringComparison.Ordinal) && l.Contains("\"profile\":\"linux-6.1\"", StringComparison.Ordinal)).ToList();
        Assert.True(real61.Count > 10, r.Stdout);
        Assert.All(real61.Where(l => l.Contains("\"domain\":\"translated\"", StringComparison.Ordinal)), l => Assert.DoesNotContain("\"group\":null", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Quiet_keeps_standard_error_empty_and_progress_never_reaches_standard_output()
    {
        var spec = Spec(SmallAxes);
        var quiet = Dmasim.Run("sweep", spec, "--format", "jsonl", "--quiet");
        Assert.Equal("", quiet.Stderr);
        var loud = Dmasim.Run("sweep", spec, "--format", "jsonl");
        Assert.Equal(quiet.Stdout, loud.Stdout);
    }

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
        foreach (var f in _outputFiles)
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
