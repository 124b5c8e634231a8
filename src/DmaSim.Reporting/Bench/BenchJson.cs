using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DmaSim.Simulation.Bench;

namespace DmaSim.Reporting.Bench;

/// <summary>
/// The JSON of <c>dmasim bench</c> (dmasim-bench/v1) and <c>dmasim iova bench</c> (dmasim-iova-bench/v1),
/// docs/json.md: contract types serialized by System.Text.Json's source generator, in declaration order;
/// a field that does not apply to the workload is left out.
/// </summary>
public static class BenchJson
{
    /// <summary>One <c>dmasim bench</c> run as its JSON document (indented, newline-terminated).</summary>
    public static string Map(MapBenchResult r, MapBenchOptions o) => Serialize(new MapBenchDocument(
        "dmasim-bench/v1", "dma_map_benchmark (simulated)", r.ModeName, r.Threads, o.Node,
        BenchMachines.DmaBitsOf(o.Mode, o.DmaBits), o.TransferDelayNs,
        Math.Round(r.MapNs / 1000, 1), Math.Round(r.UnmapNs / 1000, 1),
        Math.Round(r.MapNs, 1), Math.Round(r.MapStddevNs, 1), Math.Round(r.UnmapNs, 1), Math.Round(r.UnmapStddevNs, 1),
        Math.Round(r.OpsPerSecond), r.Iterations, Math.Round(r.ElapsedSeconds, 3), r.Granule, r.DirName,
        BenchMachines.Profile, r.DmaOps, Math.Round(r.TimerOverheadNs, 1), r.Threading), BenchJsonContext.Default.MapBenchDocument);

    /// <summary>One <c>dmasim iova bench</c> run as its JSON document; <paramref name="workload"/> is the CLI's word.</summary>
    public static string Iova(IovaBenchResult r, string workload)
    {
        var o = r.Options;
        var generator = o.Workload is IovaWorkload.Tree or IovaWorkload.Churn;
        var l = r.PairLatencies;
        return Serialize(new IovaBenchDocument(
            "dmasim-iova-bench/v1", workload,
            generator ? o.EffectiveLive : null,
            o.Workload != IovaWorkload.Full32 ? o.EffectiveOps : null,
            generator ? "0x" + o.EffectiveSeed.ToString("x", CultureInfo.InvariantCulture) : null,
            o.Repetitions, Math.Round(r.NsPerPair, 2), [.. r.RepetitionNsPerPair.Select(x => Math.Round(x, 2))],
            l is null ? null : Math.Round(l.AvgNs, 1), l is null ? null : Math.Round(l.P50Ns, 1),
            l is null ? null : Math.Round(l.P99Ns, 1), l is null ? null : Math.Round(l.MaxNs, 1), l?.Samples,
            r.FirstFailNs is { } f ? Math.Round(f, 1) : null, Math.Round(r.TimerOverheadNs, 1)), BenchJsonContext.Default.IovaBenchDocument);
    }

    private static string Serialize<T>(T document, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Serialize(document, type) + Environment.NewLine;
}

/// <summary>dmasim-bench/v1.</summary>
internal sealed record MapBenchDocument(
    string Schema, string Tool, string Mode, int Threads, int Node, int DmaBits, int TransferDelayNs,
    double MapUs, double UnmapUs, double MapNs, double MapStddevNs, double UnmapNs, double UnmapStddevNs,
    double OpsPerSecond, long Iterations, double Seconds, int Granule, string Dir, string Profile, string DmaOps,
    double TimerOverheadNs, string Threading);

/// <summary>dmasim-iova-bench/v1.</summary>
internal sealed record IovaBenchDocument(
    string Schema, string Workload, int? Live, long? Ops, string? Seed, int Repetitions, double NsPerPair,
    double[] RepetitionNsPerPair, double? AvgNs, double? P50Ns, double? P99Ns, double? MaxNs, int? Samples,
    double? FirstFailNs, double TimerOverheadNs);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MapBenchDocument))]
[JsonSerializable(typeof(IovaBenchDocument))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
