using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation;

namespace DmaSim.Reporting.Tests;

public class HtmlReportTests
{
    [Fact]
    public void The_page_has_the_matrix_a_section_per_run_and_escaped_text()
    {
        var s = SeedSuite.All().Single(x => x.Name == "smartarray-passthrough").Scenario;
        var runs = SuiteRunner.Run([(s, ProfileCatalog.Linux2632Rc5), (s, ProfileCatalog.Linux2632)]);
        var html = HtmlReport.Write(runs);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<th>linux-2.6.32-rc5</th>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"smartarray-passthrough--linux-2.6.32\"", html, StringComparison.Ordinal);
        Assert.Contains(">stall ✓</a>", html, StringComparison.Ordinal);
        // Log lines and findings go through HTML encoding (the rule sources quote titles with '"').
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&quot;", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
    }
}
