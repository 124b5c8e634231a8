using System.Diagnostics;

namespace DmaSim.Cli.Tests;

/// <summary>
/// The Slurm path for real: tests/slurm/slurm-sweep.sh starts munged, slurmctld and slurmd on localhost,
/// submits the 4-task array `sweep --emit slurm` writes plus its dependent merge job, waits, and compares
/// the merged output with the single-process run byte for byte. .ci/run installs slurm-wlm and munge; the
/// test is skipped only where they are missing and apt-get cannot install them.
/// </summary>
public sealed class SlurmSweepTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-slurm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void A_four_task_slurm_array_merges_into_the_single_process_output()
    {
        Skip.If(!OperatingSystem.IsLinux() || Environment.UserName != "root", "a Slurm cluster on localhost needs Linux and root");
        var spec = Path.Combine(_dir, "spec.yaml");
        File.WriteAllText(spec, $"schema: dmasim-sweep/v1\nname: slurm-fixture\nbase: {Dmasim.SeedFile}\naxes:\n" +
            "  profile: [linux-2.6.31, linux-2.6.32-rc5, linux-6.1]\n  ram: [2GiB, 8GiB]\n  set:\n    workload.0.count: [4]\n");
        var script = Path.Combine(DmaSim.Testing.SharedData.RepoRoot, "tests", "slurm", "slurm-sweep.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "dotnet " + Dmasim.DllPath, spec, Path.Combine(_dir, "work") }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(8)), "the Slurm fixture did not finish in 8 minutes");
        Skip.If(p.ExitCode == 77, stdout.Result);
        Assert.True(p.ExitCode == 0, stdout.Result + stderr.Result);
        Assert.Contains("slurm: 4 array tasks merged into exactly the single-process output", stdout.Result, StringComparison.Ordinal);
        Assert.Equal(4, Directory.GetDirectories(Path.Combine(_dir, "work", "out"), "shard-*").Length);
    }
}
