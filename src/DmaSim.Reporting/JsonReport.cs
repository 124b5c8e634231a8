using System.Text.Json;
using System.Text.Json.Serialization;
using DmaSim.Core;
using DmaSim.Simulation;

namespace DmaSim.Reporting;

/// <summary>
/// The `dmasim-result/v1` JSON contract: one object per run, an array when there are several. Contract types
/// serialized by System.Text.Json's source generator in declaration order, so two runs of the same scenario give
/// byte-identical output.
/// </summary>
public static class JsonReport
{
    public const string Schema = "dmasim-result/v1";

    public static string Write(IReadOnlyList<RunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var json = runs.Count == 1
            ? JsonSerializer.Serialize(Document(runs[0]), ResultJsonContext.Relaxed.ResultDocument)
            : JsonSerializer.Serialize([.. runs.Select(Document)], ResultJsonContext.Relaxed.ResultDocumentArray);
        return json + "\n";
    }

    private static ResultDocument Document(RunResult r) => new(
        Schema, r.Scenario, r.Profile, r.Cmdline, r.SourceFile, r.Seed, r.ProfileSummary, r.WorkloadName,
        [.. r.Devices.Select(d => new ResultDevice(d.Name, d.Bdf, d.ModelName, d.DmaMaskBits, d.CoherentDmaMaskBits,
            d.DomainName, d.DmaOpsName, d.OutcomeName, d.Group, d.Flush, d.Driver, d.Vfio))],
        [.. r.Findings.Select(f => new ResultFinding(f.KindName, f.Device, ContractWords.Outcomes.NameOf(f.Outcome), f.Message))],
        [.. r.Explanations.Select(e => new ResultExplanation(e.Device, e.Text, e.Source))],
        [.. r.Expectations.Select(e => new ResultExpectation(e.Text, e.Held, e.Actual))],
        Counters(r.Counters), r.SimulatedNs, r.Log);

    // An object whose keys are the counter names, in the run's order.
    private static OrderedDictionary<string, long> Counters(IReadOnlyList<Counter> counters)
    {
        var o = new OrderedDictionary<string, long>(counters.Count, StringComparer.Ordinal);
        foreach (var c in counters) o.Add(c.Name, c.Value);
        return o;
    }
}

/// <summary>dmasim-result/v1: one run.</summary>
internal sealed record ResultDocument(
    string Schema, string Scenario, string Profile, string Cmdline, string SourceFile, ulong Seed, string ProfileSummary,
    string Workload, ResultDevice[] Devices, ResultFinding[] Findings, ResultExplanation[] Explanations,
    ResultExpectation[] Expectations, OrderedDictionary<string, long> Counters, ulong SimulatedNs, IReadOnlyList<string> Log);

/// <summary>One device's line; <c>group</c>, <c>flush</c>, <c>driver</c> and <c>vfio</c> are written as null when unknown.</summary>
internal sealed record ResultDevice(
    string Name, string Bdf, string Model, int DmaMaskBits, int CoherentDmaMaskBits, string Domain, string DmaOps,
    string Outcome, int? Group, string? Flush, string? Driver, string? Vfio);

internal sealed record ResultFinding(string Kind, string Device, string Outcome, string Message);

internal sealed record ResultExplanation(string Device, string Text, string Source);

/// <summary>An expectation; <c>actual</c> is left out when the run has nothing to say.</summary>
internal sealed record ResultExpectation(
    string Text, bool Held, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Actual);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ResultDocument))]
[JsonSerializable(typeof(ResultDocument[]))]
internal sealed partial class ResultJsonContext : JsonSerializerContext
{
    internal static ResultJsonContext Relaxed { get; } = new(ContractJson.Options(indented: true, ContractJson.Relaxed));
}
