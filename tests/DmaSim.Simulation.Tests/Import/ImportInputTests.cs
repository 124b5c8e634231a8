using DmaSim.Core;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>`dmasim import` on logs without a table, odd logs, and bad input (FILE:LINE:COL).</summary>
public sealed class ImportInputTests
{
    private static string Temp(string text) => RealLog.TempLog(text);

    private const string Minimal =
        "[    0.000000] Linux version 5.4.0-4-amd64 (x@y) (gcc version 9.2.1) #1 SMP Debian 5.4.19-1\n" +
        "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz ro quiet\n" +
        "[    0.000000] BIOS-provided physical RAM map:\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n" +
        "[    1.000000] DMAR: Host address width 39\n" +
        "[    1.000001] DMAR: DRHD base: 0x000000fed90000 flags: 0x1\n" +
        "[    1.000002] DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap c90780106f0462 ecap f02076\n";

    [Fact]
    public void Every_log_in_the_shared_data_with_a_memory_map_imports_and_runs_without_a_table()
    {
        foreach (var dmesg in Directory.GetFiles(RealLog.DmesgDir, "*.dmesg.txt"))
        {
            if (!File.ReadLines(dmesg).Any(l => l.Contains("BIOS-e820", StringComparison.Ordinal))) continue;
            var (yaml, run) = RealLog.ImportAndRun(dmesg, null);
            Assert.StartsWith("# Imported by `dmasim import`", yaml, StringComparison.Ordinal);
            var want = RealLog.DmarLines(File.ReadLines(dmesg))
                .Where(l => l.Contains("Host address width", StringComparison.Ordinal) || l.Contains("DRHD base", StringComparison.Ordinal)
                    || l.Contains("reg_base_addr", StringComparison.Ordinal) || l.Contains("RMRR base", StringComparison.Ordinal))
                .ToList();
            var got = RealLog.DmarLines(run.Log)
                .Where(l => l.Contains("Host address width", StringComparison.Ordinal) || l.Contains("DRHD base", StringComparison.Ordinal)
                    || l.Contains("reg_base_addr", StringComparison.Ordinal) || l.Contains("RMRR base", StringComparison.Ordinal))
                .ToList();
            Assert.Equal(want, got);
        }
    }

    [Fact]
    public void The_generated_file_says_where_masks_and_guesses_come_from()
    {
        var text = Minimal + "[    2.000000] hpsa 0000:03:00.0: Logical aborts not supported\n"
            + "[    2.000001] pci 0000:04:00.0: [1590:005f] type 00 class 0x010400\n";
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(text), null, null));
        Assert.Contains("driver: hpsa }   # driver hpsa: catalogue masks 64/32 (drivers/scsi/hpsa.c)", yaml, StringComparison.Ordinal);
        Assert.Contains("driver: none, pci-id: \"1590:005f\", class: 0x010400 }   # [1590:005f] class 0x010400; no driver named in the log: none bound, so it does no DMA (give driver: NAME if one binds silently); PCI defaults 32/32 (drivers/pci/probe.c)", yaml, StringComparison.Ordinal);
        Assert.Contains("profile: linux-5.4", yaml, StringComparison.Ordinal);
        Assert.Contains("version: \"5.4.0-4-amd64\"", yaml, StringComparison.Ordinal);
        // The build's default, not an option the real command line lacks (it would print "DMAR: IOMMU disabled").
        Assert.Contains("config: { intel-iommu-default-on: false }   # the log shows DMA remapping off", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("intel_iommu=off", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Legacy_e820_lines_and_the_2_6_wording_import()
    {
        var text =
            "[    0.000000] Linux version 2.6.32-5-amd64 (Debian 2.6.32-48)\n" +
            "[    0.000000] BIOS-provided physical RAM map:\n" +
            "[    0.000000]  BIOS-e820: 0000000000000000 - 000000000009f800 (usable)\n" +
            "[    0.000000]  BIOS-e820: 0000000000100000 - 00000000bff00000 (usable)\n" +
            "[    0.000000] DMAR:Host address width 36\n" +
            "[    0.000000] DMAR:DRHD base: 0x000000fed90000 flags: 0x1\n";
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(text), null, null));
        Assert.Contains("- { start: 0x0, end: 0x9f7ff, type: usable }", yaml, StringComparison.Ordinal);
        Assert.Contains("profile: linux-2.6.32", yaml, StringComparison.Ordinal);
        Assert.Contains("no unit line in the log: QEMU's registers", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_DMAR_line_is_an_error_at_its_line_and_column()
    {
        var path = Temp(Minimal + "[    1.000003] DMAR: RMRR base: 0xzz end: 0x1\n");
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(path, null, null)));
        Assert.Equal($"{path}:9:22: error: malformed RMRR line", e.Message);
    }

    [Fact]
    public void A_log_without_a_memory_map_is_an_error()
    {
        var path = Temp("[    1.0] DMAR: Host address width 39\n");
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions(path, null, null)));
        Assert.StartsWith($"{path}:1:1: error: the log has no BIOS-e820 lines", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_log_file_is_an_input_error()
    {
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(new ImportOptions("/nonexistent/boot.log", null, null)));
        Assert.StartsWith("/nonexistent/boot.log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_first_boot_of_a_log_is_read()
    {
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(Minimal + Minimal.Replace("0xbfffffff", "0x7fffffff", StringComparison.Ordinal)), null, null));
        Assert.Contains("only the first is imported", yaml, StringComparison.Ordinal);
        Assert.Contains("end: 0xbfffffff", yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.6.31.14", "linux-2.6.31")]
    [InlineData("2.6.32-rc5", "linux-2.6.32-rc5")]
    [InlineData("2.6.32-rc3", "linux-2.6.31")]
    [InlineData("2.6.32-5-amd64", "linux-2.6.32")]
    [InlineData("2.6.35", "linux-2.6.33")]
    [InlineData("3.17.4-301.fc21.x86_64", "linux-3.0")]
    [InlineData("4.18.20", "linux-3.0")]
    [InlineData("4.19.0-10-amd64", "linux-4.19")]
    [InlineData("5.2.21", "linux-4.19")]
    [InlineData("5.3.0-rc6+", "linux-5.4")]
    [InlineData("5.4.0-4-amd64", "linux-5.4")]
    [InlineData("5.9.16", "linux-5.4")]
    [InlineData("5.10.0-28-amd64", "linux-5.10")]
    [InlineData("5.11.22-4-pve", "linux-5.10")]
    [InlineData("5.15.0-91-generic", "linux-5.15")]
    [InlineData("6.1.0-57-amd64", "linux-6.1")]
    [InlineData("6.2.10-arch1-1", "linux-6.1")]
    [InlineData("6.6.30", "linux-6.6")]
    [InlineData("6.11.2", "linux-6.6")]
    [InlineData("6.12.9-amd64", "linux-6.12")]
    [InlineData("6.17.1", "linux-6.12")]
    [InlineData(null, "linux-6.1")]
    public void The_nearest_profile_follows_the_documented_mapping(string? release, string profile) =>
        Assert.Equal(profile, NearestProfile.For(release, out _));

    [Fact]
    public void Journal_prefixes_and_logs_without_timestamps_read_the_same()
    {
        static string Journal(string line) => "Oct 19 09:57:07 host kernel: " + line[15..];
        static string Bare(string line) => line[15..];
        var lines = Minimal.TrimEnd('\n').Split('\n');
        var plain = ScenarioImporter.Import(new ImportOptions(Temp(Minimal), null, null));
        foreach (var form in new Func<string, string>[] { Journal, Bare })
        {
            var text = string.Join('\n', lines.Select(form)) + "\n";
            Assert.Equal(plain, ScenarioImporter.Import(new ImportOptions(Temp(text), null, null)));
        }
    }
}

