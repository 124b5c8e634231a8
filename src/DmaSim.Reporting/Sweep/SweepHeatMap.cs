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

    public static string Write(string name, IReadOnlyList<SweepRow> rows) => Write(name, SweepTally.Of(rows));

    public static string Write(string name, SweepTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>sweep ").Append(H(name)).Append("</title>\n<style>")
          .Append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:0 0 2em}td,th{border:1px solid #999;padding:.25em .5em;font-size:.9em}th{background:#eee}")
          .Append("</style></head><body>\n<h1>sweep ").Append(H(name)).Append("</h1>\n<p>Each grid crosses two axes; a square shows the worst outcome over every device and every other axis value.</p>\n");
        sb.Append("<p>").AppendJoin(" ", _colours.Select(c => $"<span style=\"background:{c.Value};padding:0 .4em\">{c.Key}</span>")).Append("</p>\n");
        var axes = tally.Axes.Where(a => tally.ValuesOf(a).Count <= MaxValues).ToList();
        for (var i = 0; i < axes.Count; i++)
            for (var j = i + 1; j < axes.Count; j++) Grid(sb, tally, axes[i], axes[j]);
        if (axes.Count == 1) Grid(sb, tally, axes[0], null);
        return sb.Append("</body></html>\n").ToString();
    }

    private static void Grid(StringBuilder sb, SweepTally tally, string down, string? across)
    {
        var downValues = tally.ValuesOf(down);
        var acrossValues = across is null ? [""] : tally.ValuesOf(across);
        sb.Append("<h2>").Append(H(down)).Append(across is null ? "" : " × " + H(across)).Append("</h2>\n<table><tr><th></th>");
        foreach (var a in acrossValues) sb.Append("<th>").Append(H(a)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var d in downValues)
        {
            sb.Append("<tr><th>").Append(H(d)).Append("</th>");
            foreach (var a in acrossValues)
            {
                var o = tally.Worst(down, across, d, a);
                sb.Append("<td style=\"background:").Append(_colours.GetValueOrDefault(o, "#fff")).Append("\">").Append(H(o)).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);
}
