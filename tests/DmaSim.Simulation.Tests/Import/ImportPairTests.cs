using DmaSim.Core;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// (4)+(5) acceptance: for each DMAR table + kernel log pair in ../shared/data, `dmasim import` then
/// `dmasim run` prints the log's DMAR lines exactly, in order, timestamps aside.
/// </summary>
public sealed class ImportPairTests
{
    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var (dmesg, table) in RealLog.Pairs()) data.Add(Path.GetFileName(dmesg), Path.GetFileName(table));
        return data;
    }

    [Fact]
    public void The_shared_data_holds_at_least_four_pairs() => Assert.True(RealLog.Pairs().Count() >= 4);

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Import_and_run_reproduce_the_logs_DMAR_lines_exactly(string dmesg, string table)
    {
        var dmesgPath = Path.Combine(RealLog.DmesgDir, dmesg);
        var (_, run) = RealLog.ImportAndRun(dmesgPath, Path.Combine(RealLog.DmarDir, table));
        var want = RealLog.DmarLines(File.ReadLines(dmesgPath));
        Assert.NotEmpty(want);
        Assert.Equal(want, RealLog.DmarLines(run.Log));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Import_and_run_reproduce_the_logs_e820_lines(string dmesg, string table)
    {
        var dmesgPath = Path.Combine(RealLog.DmesgDir, dmesg);
        var (_, run) = RealLog.ImportAndRun(dmesgPath, Path.Combine(RealLog.DmarDir, table));
        Assert.Equal(RealLog.E820Lines(File.ReadLines(dmesgPath)), RealLog.E820Lines(run.Log));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Without_the_table_the_inline_import_reproduces_every_dmar_line(string dmesg, string table)
    {
        _ = table;
        var dmesgPath = Path.Combine(RealLog.DmesgDir, dmesg);
        var (yaml, run) = RealLog.ImportAndRun(dmesgPath, null);
        var want = RealLog.DmarLines(File.ReadLines(dmesgPath)).ToList();
        Assert.Equal(want, RealLog.DmarLines(run.Log).ToList());
        // ATSR, RHSA, ANDD and SATC lines come back from inline entries, one per logged line.
        var extras = want.Count(l => l.Contains("ATSR", StringComparison.Ordinal) || l.Contains("RHSA", StringComparison.Ordinal)
            || l.Contains("ANDD", StringComparison.Ordinal) || l.Contains("SATC", StringComparison.Ordinal));
        Assert.Equal(extras, yaml.Split('\n').Count(l => l.Contains("all-ports:", StringComparison.Ordinal)
            || l.Contains("proximity-domain:", StringComparison.Ordinal) || l.Contains("atc-required:", StringComparison.Ordinal)
            || (l.Contains("device:", StringComparison.Ordinal) && l.Contains("name:", StringComparison.Ordinal))));
    }

    [Fact]
    public void A_table_of_another_machine_is_refused_at_the_log_line_that_disagrees()
    {
        var (dmesg, _) = RealLog.Pairs().First();
        var other = RealLog.Pairs().Select(p => p.Table).First(t => DmarDiffers(dmesg, t));
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(dmesg, other, null)));
        Assert.StartsWith(dmesg + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains("not the same machine", e.Message, StringComparison.Ordinal);
    }

    private static bool DmarDiffers(string dmesg, string table)
    {
        try
        {
            ScenarioImporter.Import(new ImportOptions(dmesg, table, null));
            return false;
        }
        catch (InputException)
        {
            return true;
        }
    }
}
