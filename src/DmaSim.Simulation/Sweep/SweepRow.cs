namespace DmaSim.Simulation.Sweep;

/// <summary>
/// One row of a sweep's output: one device in one cell. `Axes` holds each axis's value as written in
/// the spec; `Profile` and `Cmdline` are what the cell ran with even when no axis varies them.
/// </summary>
public sealed record SweepRow(
    int Cell,
    IReadOnlyList<KeyValuePair<string, string>> Axes,
    string Scenario,
    string Profile,
    string Cmdline,
    string Device,
    string Domain,
    int? Group,
    string? Flush,
    string DmaOps,
    string Outcome,
    IReadOnlyList<string> Findings,
    int ExpectationsHeld,
    IReadOnlyList<string> ExpectationsBroken);
