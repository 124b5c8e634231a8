using System.Text.RegularExpressions;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>Helpers over ../shared/data: the table+log pairs, the DMAR lines of a log, import + run.</summary>
internal static partial class RealLog
{
    public static string DmesgDir => SharedData.Path_("dmesg");

    public static string DmarDir => SharedData.Path_("dmar");

    /// <summary>
    /// Every dmesg excerpt whose header says "PAIRED with DMAR table data/dmar/NAME.*" with that table present
    /// (INDEX.md "Pairs"); nothing here names a particular file.
    /// </summary>
    public static IEnumerable<(string Dmesg, string Table)> Pairs()
    {
        foreach (var dmesg in Directory.GetFiles(DmesgDir, "*.dmesg.txt").Order(StringComparer.Ordinal))
        {
            var header = File.ReadLines(dmesg).TakeWhile(l => l.StartsWith('#'));
            foreach (var line in header)
            {
                var m = PairedWith().Match(line);
                if (!m.Success) continue;
                var table = Path.Combine(DmarDir, m.Groups[1].Value + ".dat");
                if (File.Exists(table)) yield return (dmesg, table);
            }
        }
    }

    /// <summary>The lines of (5) log fidelity, timestamps stripped: DMAR parse lines, unit lines, RMRR setup lines.</summary>
    public static List<string> DmarLines(IEnumerable<string> lines) =>
        [.. lines.Where(l => !l.StartsWith('#')).Select(Strip).Where(l => Fidelity().IsMatch(l))];

    /// <summary>The e820 lines (header, entries, last_pfn).</summary>
    public static List<string> E820Lines(IEnumerable<string> lines) =>
        [.. lines.Where(l => !l.StartsWith('#')).Select(Strip).Where(l => E820().IsMatch(l))];

    /// <summary>A log text in a fresh folder, as `dmasim import` reads it from disk.</summary>
    public static string TempLog(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dmasim-import-").FullName, "boot.dmesg.txt");
        File.WriteAllText(path, text);
        return path;
    }

    public static string Strip(string line) => Timestamp().Replace(line.TrimEnd('\r'), "");

    /// <summary>Imports into a fresh folder, loads the scenario back from disk and runs it with its own profile.</summary>
    public static (string Yaml, RunResult Run) ImportAndRun(string dmesg, string? table)
    {
        var dir = Directory.CreateTempSubdirectory("dmasim-import-").FullName;
        var output = Path.Combine(dir, "machine.yaml");
        var yaml = ScenarioImporter.Import(new ImportOptions(dmesg, table, output));
        File.WriteAllText(output, yaml);
        var scenario = ScenarioLoader.Load(output);
        var profile = ScenarioRunner.ProfilesFor(scenario, null).Single();
        return (yaml, ScenarioRunner.Run(scenario, profile));
    }

    [GeneratedRegex(@"PAIRED with DMAR table data/dmar/([A-Za-z0-9_.-]+)\.\*")]
    private static partial Regex PairedWith();

    [GeneratedRegex(@"^(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ kernel: )?\[ *\d+\.\d+\] ")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"^(?:DMAR: ?|dmar: )(?:Host address width|DRHD base:|dmar\d+: reg_base_addr|IOMMU \d+: reg_base_addr|RMRR base:|ATSR flags:|RHSA base:|ANDD device:|SATC flags:|Setting RMRR|Setting identity map|Prepare 0-16MiB)|^IOMMU [0-9a-f]+: ver ")]
    private static partial Regex Fidelity();

    [GeneratedRegex(@"^(?:e820: )?BIOS-provided physical RAM map:|^ ?BIOS-e820: |^(?:e820: )?last_pfn = ")]
    private static partial Regex E820();
}
