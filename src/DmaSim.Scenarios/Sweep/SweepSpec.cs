using DmaSim.Core;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// A `dmasim-sweep/v1` spec: what to run (one base scenario, or a fleet of machines) and the axes whose
/// cross product (with zipped groups moving together) makes the cells.
/// </summary>
public sealed record SweepSpec(
    string Name,
    string SourceFile,
    SweepSource Source,
    IReadOnlyList<AxisGroup> Groups,
    SourceSpan Span)
{
    public const string SchemaV1 = "dmasim-sweep/v1";

    /// <summary>Every axis, in the order the spec names them (zipped axes in their group's place).</summary>
    public IEnumerable<SweepAxis> Axes => Groups.SelectMany(g => g.Axes);
}

/// <summary>Where the machines of a sweep come from.</summary>
public abstract record SweepSource(string Path, SourceSpan Span);

/// <summary>`base: FILE`: one scenario every cell varies.</summary>
public sealed record BaseScenarioSource(string Path, SourceSpan Span) : SweepSource(Path, Span);

/// <summary>`fleet: DIR`: every scenario (and dmesg [+ DMAR] pair) in a folder; the cells gain a `machine` axis.</summary>
public sealed record FleetSource(string Path, SourceSpan Span) : SweepSource(Path, Span);

/// <summary>What an axis changes.</summary>
public enum AxisKind
{
    /// <summary>The kernel profile the cell runs under.</summary>
    Profile,
    /// <summary>The kernel command line.</summary>
    Cmdline,
    /// <summary>Total usable RAM (see <see cref="ScenarioTemplate"/> for how the e820 map is cut or grown).</summary>
    Ram,
    /// <summary>Any scalar of the scenario, by path.</summary>
    Set,
    /// <summary>The machine of a fleet (implicit, outermost).</summary>
    Machine,
}

/// <summary>One value of an axis, as written in the spec, with where it was written.</summary>
public sealed record AxisValue(string Text, bool Quoted, SourceSpan Span);

/// <summary>One axis: its name as rows show it (`profile`, `ram`, or the `set:` path), its kind and values.</summary>
public sealed record SweepAxis(string Name, AxisKind Kind, IReadOnlyList<AxisValue> Values, SourceSpan Span);

/// <summary>Axes that move together (`zip:`); a lone axis is a group of one. Groups combine as a cross product.</summary>
public sealed record AxisGroup(IReadOnlyList<SweepAxis> Axes)
{
    public int Count => Axes[0].Values.Count;
}
