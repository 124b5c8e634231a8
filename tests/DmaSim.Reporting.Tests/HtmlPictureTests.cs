using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;
using Xunit.Abstractions;

namespace DmaSim.Reporting.Tests;

/// <summary>The HTML report's pictures: a memory map and a DMA path per wrong DMA, well-formed SVG, with legends; and the page in a real browser.</summary>
public sealed partial class HtmlPictureTests(ITestOutputHelper output)
{
    private static string SeedReport()
    {
        var s = SeedSuite.All().Single(x => x.Name == "smartarray-passthrough").Scenario;
        return HtmlReport.Write(SuiteRunner.Run([(s, ProfileCatalog.Linux2632Rc5), (s, ProfileCatalog.Linux2632)]));
    }

    private static List<XElement> Svgs(string html) =>
        [.. SvgBlock().Matches(html).Select(m => XElement.Parse(m.Value))];

    [Fact]
    public void Each_run_has_a_memory_map_and_the_stall_has_its_dma_path()
    {
        var svgs = Svgs(SeedReport());
        XNamespace ns = "http://www.w3.org/2000/svg";
        var maps = svgs.Where(x => x.Element(ns + "title")?.Value == "memory map").ToList();
        var paths = svgs.Where(x => x.Element(ns + "title")?.Value == "DMA path").ToList();
        Assert.Equal(2, maps.Count);
        // rc5: the ring fetch through 32 descriptor lines went to free RAM; 2.6.32: nothing went wrong.
        Assert.NotEmpty(paths);
        var rc5 = maps.Single(m => m.Attribute("id")!.Value.Contains("rc5", StringComparison.Ordinal));
        var arrow = Assert.Single(rc5.Descendants(ns + "path"), p => p.Attribute("class")?.Value == "wrong-dma");
        Assert.Contains("hit 0x3fc04040 (free RAM)", arrow.Element(ns + "title")!.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(maps.Single(m => !m.Attribute("id")!.Value.Contains("rc5", StringComparison.Ordinal)).Descendants(ns + "path"), p => p.Attribute("class")?.Value == "wrong-dma");
        var stages = paths[0].Descendants(ns + "g").Select(g => g.Elements(ns + "text").First().Value).ToList();
        Assert.Equal(["driver", "DMA address", "address lines", "requester id", "remapping", "physical page", "owner"], stages);
        var wrong = paths[0].Descendants(ns + "g").Where(g => g.Attribute("class")!.Value.Contains("wrong", StringComparison.Ordinal)).Select(g => g.Elements(ns + "text").First().Value);
        Assert.Contains("address lines", wrong);
    }

    [Fact]
    public void Every_drawn_kind_and_mark_has_a_legend_entry()
    {
        var html = SeedReport();
        Assert.Contains("<b>·</b> the scenario states no expectation", html, StringComparison.Ordinal);
        Assert.Contains("outlined in red", html, StringComparison.Ordinal);
        foreach (var kind in RegionKind().Matches(html).Select(m => m.Groups[1].Value).Distinct())
        {
            var legend = Svg.SvgKinds.All.FirstOrDefault(k => k.Kind == kind).Legend;
            Assert.False(legend is null, $"kind {kind} has no legend text");
            Assert.Contains(legend, html, StringComparison.Ordinal);
        }
        Assert.Contains("a DMA that hit the wrong page", html, StringComparison.Ordinal);
    }

    /// <summary>
    /// Debian's chromium renders the report headless: the DOM after load holds the SVGs with their titles, nothing is
    /// logged as a console error, and a screenshot is saved beside the test output.
    /// </summary>
    [Fact]
    public void The_report_renders_in_a_real_browser()
    {
        const string chromium = "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), "chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)");
        var dir = Directory.CreateTempSubdirectory("dmasim-html-");
        var page = Path.Combine(dir.FullName, "report.html");
        File.WriteAllText(page, SeedReport());
        var dom = Chromium(chromium, dir.FullName, "--dump-dom", new Uri(page).AbsoluteUri);
        Assert.Contains("<title>memory map</title>", dom.Stdout, StringComparison.Ordinal);
        Assert.Contains("<title>DMA path</title>", dom.Stdout, StringComparison.Ordinal);
        Assert.Contains("class=\"wrong-dma\"", dom.Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"CONSOLE\(\d+\)|Uncaught|:ERROR:CONSOLE", dom.Stderr);
        var shot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png");
        var s = Chromium(chromium, dir.FullName, "--screenshot=" + shot, new Uri(page).AbsoluteUri);
        Assert.True(File.Exists(shot) && new FileInfo(shot).Length > 10_000, "no screenshot: " + s.Stderr);
        output.WriteLine("screenshot: " + shot);
        dir.Delete(recursive: true);
    }

    private static (string Stdout, string Stderr) Chromium(string exe, string profileDir, string mode, string url)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0", "--window-size=1100,2400",
                     "--user-data-dir=" + Path.Combine(profileDir, "profile"), mode, url })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); Assert.Fail("chromium did not finish in 120 s"); }
        return (stdout.Result, stderr.Result);
    }

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgBlock();

    [GeneratedRegex("class=\"(?:region|owned) ([a-z0-9-]+)\"")]
    private static partial Regex RegionKind();
}
