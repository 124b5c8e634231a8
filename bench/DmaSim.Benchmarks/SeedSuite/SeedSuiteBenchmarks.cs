using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;

namespace DmaSim.Benchmarks.SeedSuite;

/// <summary>
/// The whole seed suite as <c>dmasim run</c> runs it with no arguments: every embedded scenario parsed
/// and run under every profile (the matrix), in-process and warm. The cold process (start to exit,
/// target ≤ 1.5 s) is measured by bench/scripts/cold-run.sh, because BenchmarkDotNet cannot time a
/// fresh runtime start.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class SeedSuiteBenchmarks
{
    private Scenario _one = null!;
    private KernelProfile _profile = null!;

    [GlobalSetup]
    public void Setup()
    {
        var seed = DmaSim.Scenarios.SeedSuite.All().First();
        _one = ScenarioLoader.Parse(seed.Text, seed.ResourceName);
        _profile = ScenarioRunner.ProfilesFor(_one, "linux-6.1")[0];
    }

    /// <summary>One scenario × one profile in process: boot plus the seed workload (target ≤ 0.5 ms, issue 13).</summary>
    [Benchmark]
    public bool OneScenarioOneProfile() => ScenarioRunner.Run(_one, _profile).AllExpectationsHeld;

    [Benchmark]
    public int ParseAndRunAllProfiles()
    {
        var held = 0;
        foreach (var seed in DmaSim.Scenarios.SeedSuite.All())
        {
            var s = ScenarioLoader.Parse(seed.Text, seed.ResourceName);
            foreach (var p in ScenarioRunner.ProfilesFor(s, "all"))
                if (ScenarioRunner.Run(s, p).AllExpectationsHeld) held++;
        }
        return held;
    }
}
