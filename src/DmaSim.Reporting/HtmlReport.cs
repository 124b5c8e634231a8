using System.Text;
using DmaSim.Core;
using DmaSim.Reporting.Svg;
using DmaSim.Simulation;
using static DmaSim.Reporting.Svg.SvgKinds;

namespace DmaSim.Reporting;

/// <summary>
/// A self-contained HTML page (no script): the matrix with its legend on top, then per run the devices, why, a memory
/// map (SVG) with every wrong DMA drawn from the page intended to the page hit, each wrong DMA's path (SVG), findings,
/// expectations and the kernel log. Every mark used has a legend entry.
/// </summary>
public static class HtmlReport
{
    private const string Style =
        "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:3px 8px}" +
        ".ok{background:#dfd}.bad{background:#fdd}.broken{outline:3px solid #c00}pre{background:#f4f4f4;padding:1em;overflow:auto}" +
        ".legend span.sw{display:inline-block;width:14px;height:10px;border:1px solid #666;margin:0 4px 0 10px;vertical-align:middle}" +
        ".legend{font-size:90%;margin:.3em 0 1em}figure{margin:1em 0}figcaption{font-size:90%;color:#333}";

    public static string Write(IReadOnlyList<RunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>DmaSim report</title><style>").Append(Style)
          .Append("</style></head><body>\n<h1>DmaSim report</h1>\n");
        Matrix(sb, runs);
        foreach (var r in runs) Run(sb, r);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Matrix(StringBuilder sb, IReadOnlyList<RunResult> runs)
    {
        var profiles = runs.Select(r => r.Profile).Distinct().ToList();
        sb.Append("<p class=\"legend\">Each cell: the worst device outcome of that scenario under that kernel profile, and ")
          .Append("<b>✓</b> every expectation held, <b>✗</b> one broke (the cell is outlined in red), <b>·</b> the scenario states no expectation for this profile. ")
          .Append("Green: ok; red: any other outcome. Click a cell for the run.</p>\n");
        sb.Append("<table class=\"matrix\"><tr><th>scenario</th>");
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
                var mark = r.Expectations.Count == 0 ? "·" : r.AllExpectationsHeld ? "✓" : "✗";
                sb.Append("<td class=\"").Append(worst == Outcome.Ok ? "ok" : "bad").Append(r.AllExpectationsHeld ? "" : " broken").Append("\"><a href=\"#")
                  .Append(E(Anchor(r))).Append("\">").Append(ContractWords.Outcomes.NameOf(worst)).Append(' ').Append(mark).Append("</a></td>");
            }
            sb.Append("</tr>\n");
        }
        sb.Append("</table>\n");
    }

    private static void Run(StringBuilder sb, RunResult r)
    {
        var anchor = Anchor(r);
        sb.Append("<h2 id=\"").Append(E(anchor)).Append("\">").Append(E(r.Scenario)).Append(" — ").Append(E(r.Profile)).Append("</h2>\n<p>")
          .Append(E(r.ProfileSummary)).Append("<br>cmdline: <code>").Append(E(r.Cmdline)).Append("</code>")
          .Append(r.DefaultWorkload ? "<br>workload: " + E(TextReport.DefaultWorkloadLine) : "").Append("</p>\n");
        sb.Append("<table><tr><th>device</th><th>bdf</th><th>dma_mask</th><th>coherent</th><th>domain</th><th>group</th><th>flush</th><th>dma ops</th><th>outcome</th></tr>\n");
        foreach (var d in r.Devices)
            sb.Append("<tr><td>").Append(E(d.Name)).Append("</td><td>").Append(E(d.Bdf)).Append("</td><td>").Append(d.DmaMaskBits).Append("</td><td>")
              .Append(d.CoherentDmaMaskBits).Append("</td><td>").Append(E(d.DomainName)).Append("</td><td>")
              .Append(d.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-").Append("</td><td>").Append(E(d.Flush ?? "-")).Append("</td><td>").Append(E(d.DmaOpsName)).Append("</td><td class=\"")
              .Append(d.Outcome == Outcome.Ok ? "ok" : "bad").Append("\">").Append(ContractWords.Outcomes.NameOf(d.Outcome)).Append("</td></tr>\n");
        sb.Append("</table>\n<h3>Why</h3>\n<ul>");
        foreach (var (text, source, devices) in Grouped(r.Explanations))
            sb.Append("<li>").Append(E(text)).Append(devices.Count > 1 ? $" <i>(the same for {devices.Count - 1} more: {E(string.Join(", ", devices.Skip(1)))})</i>" : "")
              .Append(" <small>[").Append(E(source)).Append("]</small></li>");
        sb.Append("</ul>\n");
        if (r.Picture is { } picture) Pictures(sb, picture, anchor);
        if (r.Findings.Count > 0)
        {
            sb.Append("<h3>Findings</h3>\n<ul>");
            foreach (var f in r.Findings) sb.Append("<li><b>").Append(ContractWords.Outcomes.NameOf(f.Outcome)).Append("</b> ").Append(E(f.KindName)).Append(": ").Append(E(f.Message)).Append("</li>");
            sb.Append("</ul>\n");
        }
        if (r.Expectations.Count > 0)
        {
            sb.Append("<h3>Expectations</h3>\n<ul>");
            foreach (var x in r.Expectations) sb.Append("<li>").Append(x.Held ? "held: " : "<b>FAILED</b>: ").Append(E(x.Text)).Append(x.Held || x.Actual is null ? "" : $" (got {E(x.Actual)})").Append("</li>");
            sb.Append("</ul>\n");
        }
        sb.Append("<details><summary>kernel log</summary><pre>");
        foreach (var l in r.Log) sb.Append(E(l)).Append('\n');
        sb.Append("</pre></details>\n");
    }

    private static void Pictures(StringBuilder sb, Simulation.Pictures.RunPicture picture, string anchor)
    {
        sb.Append("<figure>").Append(MemoryMapSvg.Render(picture, anchor + "--memory-map"))
          .Append("<figcaption>Physical memory, address 0 at the top; each e820 range's height grows with the logarithm of its size, positions are linear inside it. ")
          .Append("Dashed lines: zone limits. Red arrows: DMAs that reached another page than the driver's (from the page intended to the page hit).</figcaption>");
        sb.Append("<div class=\"legend\">");
        foreach (var kind in MemoryMapSvg.KindsIn(picture))
            sb.Append("<span class=\"sw\" style=\"background:").Append(kind == "hole" ? "repeating-linear-gradient(45deg,#999 0 2px,#fff 2px 5px)" : Fill(kind)).Append("\"></span>")
              .Append(E(All.First(k => k.Kind == kind).Legend));
        if (picture.WrongDmas.Count > 0) sb.Append("<span class=\"sw\" style=\"background:#c00\"></span>a DMA that hit the wrong page");
        sb.Append("<span class=\"sw\" style=\"border-top:2px dashed #000;height:0\"></span>zone limit</div></figure>\n");
        for (var i = 0; i < picture.WrongDmas.Count; i++)
        {
            var w = picture.WrongDmas[i];
            sb.Append("<figure>").Append(DmaPathSvg.Render(w, $"{anchor}--dma-path-{i}"))
              .Append("<figcaption>DMA path of ").Append(E(w.Device)).Append("'s ").Append(E(w.Purpose)).Append(w.Faulted ? " (blocked)" : "")
              .Append(": each box a stage from the driver to the page; red boxes are where it went wrong.</figcaption></figure>\n");
        }
    }

    /// <summary>
    /// Explanations that say the same thing for several devices (an imported machine has dozens) shown once, with the
    /// other devices named: the text with the device's name taken out is the key.
    /// </summary>
    private static List<(string Text, string Source, List<string> Devices)> Grouped(IReadOnlyList<Explanation> explanations)
    {
        var groups = new List<(string Key, string Text, string Source, List<string> Devices)>();
        foreach (var e in explanations)
        {
            var key = e.Device.Length == 0 ? e.Text : e.Text.Replace(e.Device, "\u0001", StringComparison.Ordinal);
            var i = groups.FindIndex(g => g.Key == key && g.Source == e.Source);
            if (i < 0) groups.Add((key, e.Text, e.Source, [e.Device]));
            else groups[i].Devices.Add(e.Device);
        }
        return [.. groups.Select(g => (g.Text, g.Source, g.Devices))];
    }

    private static string Anchor(RunResult r) => r.Scenario + "--" + r.Profile;
}
