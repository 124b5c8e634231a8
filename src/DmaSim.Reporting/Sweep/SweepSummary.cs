using System.Globalization;
using System.Text;
using DmaSim.Core;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// The sweep's table for a person: for every axis value, how many rows ended in each outcome. Built from
/// the rows alone (value order = first appearance = spec order), so a merged sweep prints the same.
/// </summary>
public static class SweepSummary
{
    /// <summary>An axis with more values than this (a fleet's machines) lists only the values with a failure.</summary>
    private const int ListAllUpTo = 40;

    public static string Write(string name, int cells, IReadOnlyList<SweepRow> rows) => Write(name, cells, SweepTally.Of(rows));

    public static string Write(string name, int cells, SweepTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var outcomes = tally.Outcomes();
        var lines = new List<string[]> { (string[])["axis", "value", .. outcomes] };
        var notes = new List<string>();
        foreach (var axis in tally.Axes)
        {
            var values = tally.ValuesOf(axis);
            var shown = values.Count <= ListAllUpTo ? values : [.. values.Where(v => tally.AnyFailure(axis, v))];
            foreach (var v in shown) lines.Add([axis, v, .. outcomes.Select(o => Text(tally.Count(axis, v, o)))]);
            if (shown.Count < values.Count) notes.Add($"{axis}: {values.Count - shown.Count} more values with every row ok");
        }
        lines.Add(["all", "", .. outcomes.Select(o => Text(tally.CountAll(o)))]);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"sweep {name}: {cells} cells, {tally.Rows} rows (one per device and cell)\n");
        var widths = Enumerable.Range(0, lines[0].Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        foreach (var l in lines)
            sb.Append(string.Join("  ", l.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        foreach (var n in notes) sb.Append(n).Append('\n');
        return sb.ToString();
    }

    /// <summary>Rank of an outcome, best to worst in the contract order; an unknown word ranks last.</summary>
    public static int Severity(string outcome) => ContractWords.Outcomes.TryParse(outcome, out var o) ? (int)o : 100;

    public static string Value(SweepRow row, string axis) => SweepTally.Value(row, axis);

    private static string Text(int count) => count.ToString(CultureInfo.InvariantCulture);
}
