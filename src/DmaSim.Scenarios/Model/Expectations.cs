using System.Collections.Immutable;
using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>
/// One `expect:` entry. It holds for every profile run unless <see cref="Profiles"/> lists some; then
/// only for those. <see cref="Text"/> is a stable one-line rendering for reports.
/// </summary>
public abstract record Expectation(ImmutableArray<string> Profiles, SourceSpan Span)
{
    public bool AppliesTo(string profile) => Profiles.IsEmpty || Profiles.Contains(profile, StringComparer.Ordinal);

    public abstract string Text { get; }

    protected string ProfileSuffix => Profiles.IsEmpty ? "" : " [" + string.Join(", ", Profiles) + "]";
}

/// <summary>`{ device, outcome }`: the device's worst outcome over the run.</summary>
public sealed record OutcomeExpectation(string Device, Outcome Outcome, ImmutableArray<string> Profiles, SourceSpan Span)
    : Expectation(Profiles, Span)
{
    public override string Text => $"{Device} outcome {ContractWords.Outcomes.NameOf(Outcome)}{ProfileSuffix}";
}

/// <summary>`{ device, domain }`: the domain type the kernel put the device in.</summary>
public sealed record DomainExpectation(string Device, DeviceDomain Domain, ImmutableArray<string> Profiles, SourceSpan Span)
    : Expectation(Profiles, Span)
{
    public override string Text => $"{Device} domain {ContractWords.Domains.NameOf(Domain)}{ProfileSuffix}";
}

/// <summary>`{ device, dma-ops }`: the dma ops the kernel gave the device.</summary>
public sealed record DmaOpsExpectation(string Device, DmaOpsKind DmaOps, ImmutableArray<string> Profiles, SourceSpan Span)
    : Expectation(Profiles, Span)
{
    public override string Text => $"{Device} dma-ops {ContractWords.DmaOps.NameOf(DmaOps)}{ProfileSuffix}";
}

/// <summary>`{ device, finding: KIND }`: some checker reported a finding of this kind for the device.</summary>
public sealed record FindingExpectation(string Device, FindingKind Kind, ImmutableArray<string> Profiles, SourceSpan Span)
    : Expectation(Profiles, Span)
{
    public override string Text => $"{Device} finding {FindingKinds.NameOf(Kind)}{ProfileSuffix}";
}

/// <summary>`{ log-contains: TEXT }`: some log line contains TEXT (ordinal substring match).</summary>
public sealed record LogContainsExpectation(string Contains, ImmutableArray<string> Profiles, SourceSpan Span)
    : Expectation(Profiles, Span)
{
    public override string Text => $"log contains \"{Contains}\"{ProfileSuffix}";
}
