using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Simulation.Pictures;

namespace DmaSim.Simulation;

/// <summary>
/// One device's line in a result: the kernel's view (masks, domain, ops) and the outcome, as contract enums.
/// `Flush` is the unmap invalidation of a translated device (`strict` | `lazy`), null otherwise.
/// </summary>
public sealed record DeviceResult(
    string Name,
    string Bdf,
    int DmaMaskBits,
    int CoherentDmaMaskBits,
    DeviceDomain Domain,
    DmaOpsKind? DmaOps,
    Outcome Outcome,
    DeviceKind Model,
    string? Flush = null)
{
    /// <summary>The contract words of the kernel's view, as reports print them ("none" for a device without dma ops).</summary>
    public string DomainName => ContractWords.Domains.NameOf(Domain);
    public string DmaOpsName => ContractWords.DmaOpsName(DmaOps);
    public string OutcomeName => ContractWords.Outcomes.NameOf(Outcome);
    public string ModelName => ContractWords.DeviceModels.NameOf(Model);

    /// <summary>The IOMMU group number Linux would print (context-entry sharing before 3.5), or null when no unit translates the device.</summary>
    public int? Group { get; init; }

    /// <summary>The catalogue driver bound to the device, or null (PCI defaults).</summary>
    public string? Driver { get; init; }

    /// <summary>VFIO assignability: "assignable", "rmrr", "group", or null (not assignable through VFIO in this era or setup).</summary>
    public string? Vfio { get; init; }
}

/// <summary>An expectation of the scenario and whether it held in this run.</summary>
public sealed record ExpectationResult(string Text, bool Held, string? Actual);

/// <summary>A sentence of the "why" section: a decision, the rule that made it and its source.</summary>
public sealed record Explanation(string Device, string Text, string Source);

/// <summary>Numbers worth showing (allocations by zone, IOTLB hits, bounce counts, …).</summary>
public sealed record Counter(string Name, long Value);

/// <summary>The immutable result of running one scenario under one profile.</summary>
public sealed record RunResult(
    string Scenario,
    string SourceFile,
    string Profile,
    string ProfileSummary,
    string Cmdline,
    ulong Seed,
    IReadOnlyList<DeviceResult> Devices,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<string> Log,
    IReadOnlyList<ExpectationResult> Expectations,
    IReadOnlyList<Explanation> Explanations,
    IReadOnlyList<Counter> Counters,
    ulong SimulatedNs)
{
    public bool AllExpectationsHeld => Expectations.All(e => e.Held);

    /// <summary>True when the scenario had no `workload:` and each device's driver pattern ran instead.</summary>
    public bool DefaultWorkload { get; init; }

    /// <summary>The contract word of where the workload came from (JSON `workload`): `scenario` or `default`.</summary>
    public string WorkloadName => DefaultWorkload ? "default" : "scenario";

    /// <summary>What the HTML report draws: the memory map and the DMAs that went wrong, with their paths.</summary>
    public RunPicture? Picture { get; init; }
}
