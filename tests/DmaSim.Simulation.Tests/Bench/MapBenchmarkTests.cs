using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Bench;

namespace DmaSim.Simulation.Tests.Bench;

/// <summary>The bench engine runs and reports sane non-timing fields. No timing asserts: benchmarks are not tests.</summary>
public sealed class MapBenchmarkTests
{
    [Theory]
    [InlineData(MapBenchMode.Strict, "iommu_dma_ops")]
    [InlineData(MapBenchMode.Lazy, "iommu_dma_ops")]
    [InlineData(MapBenchMode.Passthrough, "dma-direct")]
    [InlineData(MapBenchMode.Swiotlb, "dma-direct")]
    [InlineData(MapBenchMode.Direct, "dma-direct")]
    [InlineData(MapBenchMode.Iova, "alloc_iova_fast/free_iova_fast")]
    public void Each_mode_runs_the_requested_iterations(MapBenchMode mode, string ops)
    {
        var bench = new MapBenchmark(new MapBenchOptions { Mode = mode, Threads = 1, Seconds = 60, MaxIterations = 500 });
        var r = bench.Run();
        Assert.Equal(500, r.Iterations);
        Assert.Equal(mode, r.Mode);
        Assert.Equal(1, r.Threads);
        Assert.Equal(ops, r.DmaOps);
        Assert.True(r.MapNs > 0 && r.UnmapNs > 0 && r.OpsPerSecond > 0);
        Assert.True(r.MapStddevNs >= 0 && r.UnmapStddevNs >= 0);
    }

    [Fact]
    public void Threads_run_independent_machines_and_sum()
    {
        var r = new MapBenchmark(new MapBenchOptions { Mode = MapBenchMode.Lazy, Threads = 2, Seconds = 60, MaxIterations = 300, Granule = 4, Direction = DmaDirection.ToDevice }).Run();
        Assert.Equal(600, r.Iterations);
        Assert.Equal(2, r.Threads);
        Assert.Equal(4, r.Granule);
        Assert.Contains("independent simulated machines", r.Threading, StringComparison.Ordinal);
    }

    [Fact]
    public void Swiotlb_machine_really_bounces()
    {
        var m = BenchMachines.Build(MapBenchMode.Swiotlb);
        Assert.True(m.Buffer.Value >= 1UL << 32);
        var map = m.Dma.Map(m.Device, m.Buffer, m.Size, DmaDirection.ToDevice);
        Assert.True(map.Ok);
        Assert.True(map.Address.Value < 1UL << 32);
        m.Dma.Unmap(m.Device, map.Address, m.Size, DmaDirection.ToDevice);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(1, 1, 0)]
    [InlineData(1025, 1, 1)]
    [InlineData(1, 301, 1)]
    [InlineData(1, 1, 1025)]
    public void Options_outside_the_tools_limits_are_refused(int threads, double seconds, int granule) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MapBenchOptions { Threads = threads, Seconds = seconds, Granule = granule }.Validate());

    [Fact]
    public void Mode_names_round_trip()
    {
        foreach (var name in MapBenchmark.ModeNames) Assert.Equal(name, MapBenchmark.NameOf(MapBenchmark.ParseMode(name)!.Value));
        Assert.Null(MapBenchmark.ParseMode("nope"));
    }
}
