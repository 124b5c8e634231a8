using DmaSim.Core;

namespace DmaSim.Checking;

/// <summary>One thing a checker found: its kind, the device, the outcome it implies and a sentence.</summary>
public sealed record Finding(FindingKind Kind, string Device, Outcome Outcome, string Message)
{
    /// <summary>The contract word of <see cref="Kind"/> (JSON `kind`, `expect: finding`).</summary>
    public string KindName => FindingKinds.NameOf(Kind);
}
