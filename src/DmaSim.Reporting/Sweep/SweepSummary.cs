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

    public static string Write(string name, int cells, IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var outcomes = Outcomes(rows);
        var lines = new List<string[]> { (string[])["axis", "value", .. outcomes] };
        var axisNames = rows.Count == 0 ? [] : rows[0].Axes.Select(a => a.Key).ToList();
        var notes = new List<string>();
        foreach (var axis in axisNames)
        {
            var byValue = rows.GroupBy(r => Value(r, axis)).ToList();
            var shown = byValue.Count <= ListAllUpTo ? byValue : [.. byValue.Where(g => g.Any(r => r.Outcome != "ok"))];
            foreach (var g in shown) lines.Add([axis, g.Key, .. outcomes.Select(o => Count(g, o))]);
            if (shown.Count < byValue.Count) notes.Add($"{axis}: {byValue.Count - shown.Count} more values with every row ok");
        }
        lines.Add(["all", "", .. outcomes.Select(o => Count(rows, o))]);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"sweep {name}: {cells} cells, {rows.Count} rows (one per device and cell)\n");
        var widths = Enumerable.Range(0, lines[0].Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
        foreach (var l in lines)
            sb.Append(string.Join("  ", l.Select((cell, c) => c < 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        foreach (var n in notes) sb.Append(n).Append('\n');
        return sb.ToString();
    }

    /// <summary>The outcomes present, in the contract's order from best to worst.</summary>
    public static List<string> Outcomes(IEnumerable<SweepRow> rows)
    {
        var present = rows.Select(r => r.Outcome).ToHashSet(StringComparer.Ordinal);
        present.Add("ok");
        return [.. present.OrderBy(Severity).ThenBy(o => o, StringComparer.Ordinal)];
    }

    /// <summary>Rank of an outcome, best to worst in the contract order; an unknown word ranks last.</summary>
    public static int Severity(string outcome) => ContractWords.Outcomes.TryParse(outcome, out var o) ? (int)o : 100;

    public static string Value(SweepRow row, string axis) => row.Axes.FirstOrDefault(a => a.Key == axis).Value ?? "";

    private static string Count(IEnumerable<SweepRow> rows, string outcome) =>
        rows.Count(r => r.Outcome == outcome).ToString(CultureInfo.InvariantCulture);
}
