using DmaSim.Hardware.Acpi;

namespace DmaSim.Simulation.Firmware;

/// <summary>
/// Error: Linux refuses the table or a unit, VT-d ends up disabled, or a device's DMA breaks.
/// Warning: Linux complains (and may taint) but carries on, or the table departs from the VT-d spec harmlessly.
/// </summary>
public enum DmarLintSeverity
{
    Warning,
    Error,
}

/// <summary>One firmware bug found in a DMAR table.</summary>
/// <param name="Rule">Stable rule id (docs/dmar.md lists them).</param>
/// <param name="Severity">Error or warning (see <see cref="DmarLintSeverity"/>).</param>
/// <param name="Offset">Byte offset in the table of the structure or field concerned.</param>
/// <param name="Message">What is wrong, in our words, with the values.</param>
/// <param name="KernelMessage">The line Linux logs for it, when it logs one (printf arguments filled in).</param>
/// <param name="Consequence">What Linux then does.</param>
/// <param name="Source">Where the behaviour comes from (Linux path and function, VT-d spec section, ACPICA file).</param>
public sealed record DmarFinding(
    string Rule,
    DmarLintSeverity Severity,
    int Offset,
    string Message,
    string? KernelMessage,
    string Consequence,
    string Source);

/// <summary>
/// Checks a decoded DMAR table for the firmware bugs Linux complains about. Pure: the table and an optional
/// <see cref="DmarLintContext"/> in, findings out, in table order. Never throws on a table <see cref="DmarCodec.Parse"/>
/// accepted; every loop is bounded by the table's structures and scopes.
/// </summary>
public static class DmarLint
{
    /// <summary>Every finding, sorted by offset then rule id.</summary>
    public static IReadOnlyList<DmarFinding> Run(DmarTable table, DmarLintContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var c = context ?? DmarLintContext.None;
        var findings = new List<DmarFinding>();
        foreach (var rule in DmarLintRules.All) findings.AddRange(rule(table, c));
        return [.. findings.OrderBy(f => f.Offset).ThenBy(f => f.Rule, StringComparer.Ordinal)];
    }

    /// <summary>True when any finding is error-class (the CLI exits 1).</summary>
    public static bool HasErrors(IEnumerable<DmarFinding> findings) => findings.Any(f => f.Severity == DmarLintSeverity.Error);
}
