using DmaSim.Checking;

namespace DmaSim.Simulation;

/// <summary>One device's line in a result: the kernel's view (masks, domain, ops) and the outcome.</summary>
public sealed record DeviceResult(
    string Name,
    string Bdf,
    int DmaMaskBits,
    int CoherentDmaMaskBits,
    string Domain,
    string DmaOps,
    Outcome Outcome,
    string Model)
{
    /// <summary>The IOMMU group number Linux would print (context-entry sharing before 3.5), or null when no unit translates the device.</summary>
    public int? Group { get; init; }

    /// <summary>"strict" or "lazy" IOTLB invalidation of a translated device (DMA vs DMA-FQ in 6.1); null when not translated.</summary>
    public string? Flush { get; init; }

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
}
