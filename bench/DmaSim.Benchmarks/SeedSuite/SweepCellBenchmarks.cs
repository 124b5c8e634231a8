using BenchmarkDotNet.Attributes;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;
using DmaSim.Simulation.Import;

namespace DmaSim.Benchmarks.SeedSuite;

/// <summary>
/// One sweep cell of each kind measured in docs/performance.md "Session perf14": the seed scenario (64 writes
/// and reads of 64 KiB through the storage controller) and an imported real machine (the HP ProLiant DL380e
/// Gen8 log and DMAR table from samples/, every device running the default workload: the fleet's cell).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet derives from benchmark classes.</remarks>
[MemoryDiagnoser]
public class SweepCellBenchmarks
{
    private Scenario _seed = null!;
    private Scenario _imported = null!;
    private KernelProfile _profile = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = FindRepoRoot();
        _seed = ScenarioLoader.Load(Path.Combine(root, "scenarios/seed/smartarray-passthrough.yaml"));
        var yaml = ScenarioImporter.Import(new ImportOptions(
            Path.Combine(root, "samples/dmesg/hp-proliant-dl380e-gen8_CB05571909C8_3.17.4-301.fc21.dmesg.txt"),
            Path.Combine(root, "samples/dmar/hp-proliant-dl380e-gen8_CB05571909C8.dat"), null));
        _imported = ScenarioLoader.Parse(yaml, "dl380e-gen8.yaml");
        _profile = ProfileCatalog.Find("linux-6.1")!;
    }

    [Benchmark]
    public int SeedCell() => ScenarioRunner.Run(_seed, _profile, "intel_iommu=on iommu=pt").Devices.Count;

    [Benchmark]
    public int ImportedMachineCell() => ScenarioRunner.Run(_imported, _profile, "intel_iommu=on").Devices.Count;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DmaSim.slnx"))) return dir.FullName;
        throw new InvalidOperationException("the benchmarks run inside the repository (DmaSim.slnx not found above " + AppContext.BaseDirectory + ")");
    }
}
