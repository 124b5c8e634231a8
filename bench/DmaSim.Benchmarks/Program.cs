using BenchmarkDotNet.Running;

namespace DmaSim.Benchmarks;

/// <summary>Runs the benchmarks: `dotnet run -c Release --project bench/DmaSim.Benchmarks -- --filter '*'`.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
