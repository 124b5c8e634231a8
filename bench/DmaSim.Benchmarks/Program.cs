using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace DmaSim.Benchmarks;

/// <summary>
/// Runs the benchmarks: `dotnet run -c Release --project bench/DmaSim.Benchmarks -- --filter '*' --job short`.
/// The summary adds Median and Min: docs/performance.md quotes medians, because this machine is shared
/// and the mean carries other people's builds.
/// </summary>
internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            .Run(args, DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min));
}
