using System.Net;
using System.Text;
using DmaSim.Checking;
using DmaSim.Simulation;

namespace DmaSim.Reporting;

/// <summary>A self-contained HTML page: the matrix, then each run's devices, reasons, findings and log.</summary>
public static class HtmlReport
{
    public static string Write(IReadOnlyList<RunResult> runs)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>DmaSim report</title><style>")
          .Append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 8px}")
          .Append(".ok{background:#dfd}.bad{background:#fdd}.broken{outline:3px solid #c00}pre{background:#f4f4f4;padding:1em;overflow:auto}")
          .Append("</style></head><body>\n<h1>DmaSim report</h1>\n");
        var profiles = runs.Select(r => r.Profile).Distinct().ToList();
        sb.Append("<table><tr><th>scenario</th>");
        foreach (var p in profiles) sb.Append("<th>").Append(E(p)).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var s in runs.Select(r => r.Scenario).Distinct())
        {
            sb.Append("<tr><td>").Append(E(s)).Append("</td>");
            foreach (var p in profiles)
            {
                var r = runs.FirstOrDefault(x => x.Scenario == s && x.Profile == p);
                if (r is null) { sb.Append("<td></td>"); continue; }
                var worst = r.Devices.Select(d => d.Outcome).DefaultIfEmpty(Outcome.Ok).Max();
                sb.Append("<td class=\"").Append(worst == Outcome.Ok ? "ok" : "bad").Append(r.AllExpectationsHeld ? "" : " broken").Append("\"><a href=\"#")
                  .Append(E(Anchor(r))).Append("\">").Append(OutcomeNames.Of(worst)).Append("</a></td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
        foreach (var r in runs)
        {
            sb.Append("<h2 id=\"").Append(E(Anchor(r))).Append("\">").Append(E(r.Scenario)).Append(" — ").Append(E(r.Profile)).Append("</h2>\n<p>")
              .Append(E(r.ProfileSummary)).Append("<br>cmdline: <code>").Append(E(r.Cmdline)).Append("</code></p>\n");
            sb.Append("<table><tr><th>device</th><th>bdf</th><th>dma_mask</th><th>coherent</th><th>domain</th><th>group</th><th>flush</th><th>dma ops</th><th>outcome</th></tr>\n");
            foreach (var d in r.Devices)
                sb.Append("<tr><td>").Append(E(d.Name)).Append("</td><td>").Append(E(d.Bdf)).Append("</td><td>").Append(d.DmaMaskBits).Append("</td><td>")
                  .Append(d.CoherentDmaMaskBits).Append("</td><td>").Append(E(d.Domain)).Append("</td><td>")
                  .Append(d.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-").Append("</td><td>").Append(E(d.Flush ?? "-")).Append("</td><td>").Append(E(d.DmaOps)).Append("</td><td class=\"")
                  .Append(d.Outcome == Outcome.Ok ? "ok" : "bad").Append("\">").Append(OutcomeNames.Of(d.Outcome)).Append("</td></tr>\n");
            sb.Append("</table>\n<ul>");
            foreach (var e in r.Explanations) sb.Append("<li>").Append(E(e.Text)).Append(" <small>[").Append(E(e.Source)).Append("]</small></li>");
            foreach (var f in r.Findings) sb.Append("<li><b>").Append(OutcomeNames.Of(f.Outcome)).Append("</b> ").Append(E(f.Message)).Append("</li>");
            foreach (var x in r.Expectations) sb.Append("<li>").Append(x.Held ? "held: " : "<b>FAILED</b>: ").Append(E(x.Text)).Append("</li>");
            sb.Append("</ul>\n<details><summary>kernel log</summary><pre>");
            foreach (var l in r.Log) sb.Append(E(l)).Append('\n');
            sb.Append("</pre></details>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string Anchor(RunResult r) => r.Scenario + "--" + r.Profile;
    private static string E(string s) => WebUtility.HtmlEncode(s);
}
