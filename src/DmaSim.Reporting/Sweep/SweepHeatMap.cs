using System.Net;
using System.Text;
using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>`--html`: for every pair of axes, a grid of their values coloured by the worst outcome of the rows that share them.</summary>
public static class SweepHeatMap
{
    /// <summary>Past this many values an axis makes an unreadable grid; its pairs are left out (the rows have it).</summary>
    private const int MaxValues = 200;

    private static readonly Dictionary<string, string> _colours = new(StringComparer.Ordinal)
    {
        ["ok"] = "#cfe8cf",
        ["map-error"] = "#fff1b3",
        ["fault"] = "#ffd59e",
        ["stall"] = "#f7a59a",
        ["corruption"] = "#e56b6f",
        ["firmware-fault"] = "#b23a48",
    };

    public static string Write(string name, IReadOnlyList<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sweep ").Append(H(name)).Append("</title>\n<style>")
          .Append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:0 0 2em}td,th{border:1px solid #999;padding:.25em .5em;font-size:.9em}th{background:#eee}")
          .Append("</style></head><body>\n<h1>sweep ").Append(H(name)).Append("</h1>\n<p>Each grid crosses two axes; a square shows the worst outcome over every device and every other axis value.</p>\n");
        sb.Append("<p>").AppendJoin(" ", _colours.Select(c => $"<span style=\"background:{c.Value};padding:0 .4em\">{c.Key}</span>")).Append("</p>\n");
        var axes = rows.Count == 0 ? [] : rows[0].Axes.Select(a => a.Key).Where(a => rows.Select(r => SweepSummary.Value(r, a)).Distinct().Count() <= MaxValues).ToList();
        for (var i = 0; i < axes.Count; i++)
            for (var j = i + 1; j < axes.Count; j++) Grid(sb, rows, axes[i], axes[j]);
        if (axes.Count == 1) Grid(sb, rows, axes[0], null);
        return sb.Append("</body></html>\n").ToString();
    }

    private static void Grid(StringBuilder sb, IReadOnlyList<SweepRow> rows, string down, string? across)
    {
        var downValues = rows.Select(r => SweepSummary.Value(r, down)).Distinct().ToList();
        var acrossValues = across is null ? [""] : rows.Select(r => SweepSummary.Value(r, across)).Distinct().ToList();
        var worst = rows.GroupBy(r => (SweepSummary.Value(r, down), across is null ? "" : SweepSummary.Value(r, across)))
            .ToDictionary(g => g.Key, g => g.MaxBy(r => SweepSummary.Severity(r.Outcome))!.Outcome);
        sb.Append("<h2>").Append(H(down)).Append(across is null ? "" : " × " + H(across)).Append("</h2>\n<table><tr><th></th>");
        foreach (var a in acrossValues) sb.Append("<th>").Append(H(a)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var d in downValues)
        {
            sb.Append("<tr><th>").Append(H(d)).Append("</th>");
            foreach (var a in acrossValues)
            {
                var o = worst.GetValueOrDefault((d, a), "");
                sb.Append("<td style=\"background:").Append(_colours.GetValueOrDefault(o, "#fff")).Append("\">").Append(H(o)).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);
}
