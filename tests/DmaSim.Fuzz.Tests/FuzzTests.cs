using CsCheck;
using DmaSim.Cli;
using DmaSim.Hardware.Acpi;
using DmaSim.Kernel.Iommu.Iova;
using DmaSim.Kernel.Profiles;
using DmaSim.Reporting.Firmware;
using DmaSim.Scenarios;
using DmaSim.Simulation;
using DmaSim.Simulation.Firmware;
using DmaSim.Simulation.Import;
using DmaSim.Testing;
using Xunit.Abstractions;

namespace DmaSim.Fuzz.Tests;

/// <summary>
/// The fuzzing harness (docs/fuzzing.md): structure-aware inputs for every reader, in-process. The only
/// acceptable failure is an <see cref="Core.InputException"/> (exit 2 with a place); anything else would
/// be exit 70 and fails with the input that caused it. CI runs 5,600 cases; DMASIM_FUZZ_SCALE multiplies.
/// </summary>
[Collection("fuzz")]
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Scenario_yaml_loads_and_runs_or_is_refused_with_its_place()
    {
        ScenarioGen.Mutated.Sample(yaml => FuzzBudget.Case("scenario", yaml, () =>
        {
            var scenario = ScenarioLoader.Parse(yaml, "fuzz.yaml");
            foreach (var profile in ScenarioRunner.ProfilesFor(scenario, null))
                ScenarioRunner.Run(scenario, profile);
        }), iter: FuzzBudget.Cases(2000), seed: FuzzBudget.Seed, print: y => y);
        output.WriteLine(FuzzBudget.Summary("scenario"));
    }

    [Fact]
    public void Dmar_bytes_decode_lint_and_print_or_are_refused_with_their_offset()
    {
        InputGens.DmarBytes.Sample(bytes => FuzzBudget.Case("dmar-bytes", Convert.ToHexString(bytes), () =>
        {
            var table = DmarCodec.Parse(bytes, "fuzz.dat");
            DmarText.Format(table);
            DmarJson.Serialize([("fuzz.dat", table)]);
            DmarLint.Run(table);
        }), iter: FuzzBudget.Cases(1500), seed: FuzzBudget.Seed, print: Convert.ToHexString);
        output.WriteLine(FuzzBudget.Summary("dmar-bytes"));
    }

    [Fact]
    public void Acpidump_text_decodes_or_is_refused_with_its_line()
    {
        InputGens.Acpidump.Sample(text => FuzzBudget.Case("acpidump", text, () =>
        {
            var table = DmarCodec.ParseAcpidump(text, "fuzz.acpidump");
            DmarLint.Run(table);
        }), iter: FuzzBudget.Cases(600), seed: FuzzBudget.Seed, print: t => t);
        output.WriteLine(FuzzBudget.Summary("acpidump"));
    }

    [Fact]
    public void A_kernel_log_imports_and_runs_or_is_refused_with_its_line()
    {
        var path = Path.Combine(_dir, "fuzz.dmesg.txt");
        InputGens.Dmesg.Sample(text => FuzzBudget.Case("dmesg", text, () =>
        {
            KernelLog.Parse(text, "fuzz.dmesg.txt");
            DmarLintContext.FromDmesg(text, "fuzz.dmesg.txt");
            lock (_dir)
            {
                File.WriteAllText(path, text);
                var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
                var scenario = ScenarioLoader.Parse(yaml, "imported.yaml");
                ScenarioRunner.Run(scenario, ProfileCatalog.Find(scenario.Kernel.Profile)!);
            }
        }), iter: FuzzBudget.Cases(600), seed: FuzzBudget.Seed, print: t => t);
        output.WriteLine(FuzzBudget.Summary("dmesg"));
    }

    [Fact]
    public void An_iova_trace_replays_or_is_refused_with_its_line()
    {
        InputGens.IovaTrace.Sample(text => FuzzBudget.Case("iova-trace", text, () =>
            IovaTraceReplayer.Replay("fuzz.csv", new StringReader(text))), iter: FuzzBudget.Cases(600), seed: FuzzBudget.Seed, print: t => t);
        output.WriteLine(FuzzBudget.Summary("iova-trace"));
    }

    [Fact]
    public void Every_command_line_exits_0_1_or_2_with_the_error_worded()
    {
        var scenario = Path.Combine(_dir, "tiny.yaml");
        File.WriteAllText(scenario, TinyScenario);
        var missing = Path.Combine(_dir, "missing", "x");
        var gen = InputGens.CommandLine(scenario, missing, _dir);
        var stdout = Console.Out;
        try
        {
            Console.SetOut(TextWriter.Null);
            gen.Sample(args => FuzzBudget.Case("cli", string.Join(' ', args), () =>
            {
                using var err = new StringWriter();
                var code = CliEntry.Run(args, TextWriter.Null, err);
                var text = err.ToString();
                Assert.True(code is 0 or 1 or 2, $"exit {code}: {text}");
                Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
                if (code == 2) Assert.Matches(@"(^dmasim: error: |^\S.*: error: )", text);
            }), iter: FuzzBudget.Cases(300), threads: 1, seed: FuzzBudget.Seed, print: a => string.Join(' ', a));
        }
        finally
        {
            Console.SetOut(stdout);
        }
        output.WriteLine(FuzzBudget.Summary("cli"));
    }

    private static string TinyScenario => new ScenarioBuilder("tiny").PhysicalAddressBits(36)
        .Usable(0, 0x9ffff).Usable(0x100000, 0x3fffffff)
        .Device("04:00.0", "dev", "scripted", addressBits: 64)
        .Kernel("linux-6.1")
        .Workload("{ device: dev, op: map, size: 4KiB, direction: to-device, as: m }")
        .Yaml();
}
