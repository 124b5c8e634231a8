using System.Globalization;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Oracle;

/// <summary>
/// Every real-kernel boot recorded under tests/oracle/ (Debian 6.1 under QEMU q35 + VT-d, see
/// tests/oracle/record.sh): imported from its own dmesg, DMAR table and configuration space dump, run, and
/// compared device by device with what the real kernel reported in sysfs — domain (group type), flush
/// (DMA vs DMA-FQ), the group partition and both DMA masks.
/// </summary>
public sealed class OracleBootTests
{
    private static string OracleDir => Path.Combine(SharedData.RepoRoot, "tests", "oracle");

    public static TheoryData<string> Boots()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(OracleDir)) return data;
        foreach (var dir in Directory.GetDirectories(OracleDir).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(dir, "dmesg.txt")) && File.Exists(Path.Combine(dir, "devices.tsv"))) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void At_least_one_boot_is_recorded() => Assert.NotEmpty(Boots());

    /// <summary>What sysfs said about one function.</summary>
    private sealed record Real(string Bdf, int DmaBits, int CoherentBits, string? GroupType, int? Group);

    private static Dictionary<string, Real> ReadSysfs(string dir)
    {
        var groups = new Dictionary<string, (int, string)>(StringComparer.Ordinal);
        var groupsFile = Path.Combine(dir, "groups.txt");
        if (File.Exists(groupsFile))
        {
            foreach (var line in File.ReadLines(groupsFile).Where(l => l.Length > 0))
            {
                var f = line.Split('\t');
                foreach (var bdf in f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    groups[bdf[5..]] = (int.Parse(f[0], CultureInfo.InvariantCulture), f[1]);
            }
        }
        var result = new Dictionary<string, Real>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(dir, "devices.tsv")).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split('\t');
            var bdf = f[0][5..];
            var g = groups.TryGetValue(bdf, out var x) ? x : ((int, string)?)null;
            result[bdf] = new Real(bdf, int.Parse(f[8], CultureInfo.InvariantCulture), int.Parse(f[9], CultureInfo.InvariantCulture), g?.Item2, g?.Item1);
        }
        return result;
    }

    /// <summary>Imports a boot from its log and table, with the guest's config space unless <paramref name="logOnly"/>, and runs it.</summary>
    private static RunResult ImportAndRun(string dir, bool logOnly = false)
    {
        string? Opt(string name) => File.Exists(Path.Combine(dir, name)) ? Path.Combine(dir, name) : null;
        var yaml = ScenarioImporter.Import(new ImportOptions(Path.Combine(dir, "dmesg.txt"), Opt("DMAR.dat"), Path.Combine(dir, "imported.yaml"), logOnly ? null : Opt("config.txt")));
        var scenario = ScenarioLoader.Parse(yaml, Path.Combine(dir, "imported.yaml"));
        return ScenarioRunner.Run(scenario, ProfileCatalog.Find(scenario.Kernel.Profile)!);
    }

    /// <summary>sysfs group type → the JSON domain and flush: identity → passthrough/identity, DMA → strict, DMA-FQ → lazy.</summary>
    private static (string Domain, string? Flush) Expected(Real r) => r.GroupType switch
    {
        null => ("none", null),
        "DMA-FQ" => ("translated", "lazy"),
        "DMA" => ("translated", "strict"),
        "identity" => ("passthrough|identity", null),
        var other => (other, null),
    };

    [Theory]
    [MemberData(nameof(Boots))]
    public void Every_device_matches_the_real_kernel(string boot)
    {
        var dir = Path.Combine(OracleDir, boot);
        var real = ReadSysfs(dir);
        var run = ImportAndRun(dir);
        var mismatches = new List<string>();
        foreach (var r in real.Values)
        {
            var d = run.Devices.FirstOrDefault(x => x.Bdf == r.Bdf);
            if (d is null) { mismatches.Add($"{r.Bdf}: not imported"); continue; }
            var (domain, flush) = Expected(r);
            if (!domain.Split('|').Contains(d.DomainName)) mismatches.Add($"{r.Bdf}: domain {d.DomainName}, real {r.GroupType ?? "no group"}");
            if (flush != d.Flush) mismatches.Add($"{r.Bdf}: flush {d.Flush ?? "null"}, real {flush ?? "null"}");
            if ((d.DmaMaskBits, d.CoherentDmaMaskBits) != (r.DmaBits, r.CoherentBits))
                mismatches.Add($"{r.Bdf}: masks {d.DmaMaskBits}/{d.CoherentDmaMaskBits}, real {r.DmaBits}/{r.CoherentBits}");
        }
        mismatches.AddRange(PartitionDifferences(real, run));
        Assert.True(mismatches.Count == 0, $"{boot}: {mismatches.Count} differences:\n" + string.Join("\n", mismatches));
    }

    /// <summary>
    /// Without the guest's config space (no --lspci) the bridges' ACS comes from their ids and the log's groups, as for a
    /// user who has only a dmesg: the partition is still the real one (QEMU's xio3130 downstream ports give no isolation).
    /// </summary>
    [Theory]
    [MemberData(nameof(Boots))]
    public void The_log_alone_gives_the_real_group_partition(string boot)
    {
        var dir = Path.Combine(OracleDir, boot);
        var real = ReadSysfs(dir);
        var run = ImportAndRun(dir, logOnly: true);
        var differences = PartitionDifferences(real, run).ToList();
        Assert.True(differences.Count == 0, $"{boot}: {differences.Count} differences:\n" + string.Join("\n", differences));
    }

    /// <summary>
    /// The IOMMU lines of each recorded boot come back in order, from its log and table alone: DMAR and DMAR-IR lines,
    /// the IOMMU core's, every group line, swiotlb's area count (before the parse, as swiotlb_init prints it). Left out:
    /// the boot-time DMA faults of the guest's devices (a device model's probe, which DmaSim does not replay) and the
    /// pool's address (its place follows the guest's other early allocations).
    /// </summary>
    [Theory]
    [MemberData(nameof(Boots))]
    public void The_log_s_iommu_lines_come_back_in_order(string boot)
    {
        var dir = Path.Combine(OracleDir, boot);
        var run = ImportAndRun(dir, logOnly: true);
        var want = IommuLines(File.ReadLines(Path.Combine(dir, "dmesg.txt")));
        Assert.NotEmpty(want);
        Assert.Equal(want, IommuLines(run.Log));
    }

    private static List<string> IommuLines(IEnumerable<string> log) =>
        [.. log.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"^\s*\[ *\d+\.\d+\] ", "", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)))
            .Where(l => (l.StartsWith("DMAR", StringComparison.Ordinal) || l.StartsWith("iommu:", StringComparison.Ordinal)
                    || l.Contains(": Adding to iommu group ", StringComparison.Ordinal) || l.StartsWith("software IO TLB: area", StringComparison.Ordinal))
                && !l.Contains("NO_PASID]", StringComparison.Ordinal) && !l.Contains("handling fault status", StringComparison.Ordinal))];

    /// <summary>The group partition: for every device, the set of devices sharing its group must be the same.</summary>
    private static IEnumerable<string> PartitionDifferences(Dictionary<string, Real> real, RunResult run)
    {
        string Members(IEnumerable<string> bdfs) => string.Join(" ", bdfs.Order(StringComparer.Ordinal));
        foreach (var r in real.Values)
        {
            var d = run.Devices.FirstOrDefault(x => x.Bdf == r.Bdf);
            if (d is null) continue;
            var want = r.Group is { } g ? Members(real.Values.Where(x => x.Group == g).Select(x => x.Bdf)) : "";
            var got = d.Group is { } h ? Members(run.Devices.Where(x => x.Group == h).Select(x => x.Bdf)) : "";
            if (want != got) yield return $"{r.Bdf}: group [{got}], real [{want}]";
        }
    }
}
