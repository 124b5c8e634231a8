using CsCheck;
using DmaSim.Core;

namespace DmaSim.Scenarios.Tests;

/// <summary>
/// Whatever the text, the loader answers with a scenario or a positioned InputException: never another
/// exception type, never a position outside the text.
/// </summary>
public sealed class RobustnessTests
{
    private static readonly string _example =
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Resources", "design-example.yaml"));

    private const string Alphabet = ":{}[],-#&*!|>'\" \t\n0xa1_.";

    private static readonly Gen<(int Position, int Kind, char Char)> _edit =
        Gen.Select(Gen.Int[0, _example.Length], Gen.Int[0, 2], Gen.Char[Alphabet]);

    private static string Apply(string text, (int Position, int Kind, char Char)[] edits)
    {
        foreach (var (position, kind, c) in edits)
        {
            var at = Math.Min(position, text.Length);
            text = kind switch
            {
                0 when at < text.Length => text.Remove(at, 1),
                1 => text.Insert(at, c.ToString()),
                _ when at < text.Length => text.Remove(at, 1).Insert(at, c.ToString()),
                _ => text,
            };
        }
        return text;
    }

    [Fact]
    public void Mutated_example_loads_or_fails_with_a_position() =>
        _edit.Array[1, 4].Sample(edits =>
        {
            var text = Apply(_example, edits);
            try
            {
                ScenarioLoader.Parse(text, "m.yaml");
            }
            catch (InputException e)
            {
                var lines = text.Split('\n').Length;
                Assert.Equal("m.yaml", e.Where.File);
                Assert.InRange(e.Where.Line, 1, lines + 1);
                Assert.True(e.Where.Column >= 1, e.Message);
                Assert.StartsWith($"m.yaml:{e.Where.Line}:{e.Where.Column}: error: ", e.Message, StringComparison.Ordinal);
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} for edits {string.Join(", ", edits)}: {e.Message}\n{text}");
            }
        }, iter: 1000);

    [Fact]
    public void A_broken_event_order_from_the_yaml_parser_is_bad_input_at_its_place()
    {
        // Found by the property above (seed 5KeLcdCKtAN1): YamlDotNet gives a key with no value event.
        var text = Apply(_example, [(2702, 1, ':'), (1801, 2, 'x')]);
        var e = Assert.Throws<InputException>(() => ScenarioLoader.Parse(text, "m.yaml"));
        Assert.StartsWith("m.yaml:", e.Message, StringComparison.Ordinal);
        Assert.Contains("YAML syntax: the end of a mapping where a value was expected", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_rmrr_loads_as_the_firmware_wrote_it()
    {
        // The fuzz harness once found a 64 GiB RMRR exhausting memory; identity maps are sparse now (the run side
        // is RobustnessRegressionTests.A_16_TiB_rmrr_over_ram_runs_in_a_few_pages), so the loader keeps it whole.
        var text = _example.Replace("end: 0x7f5fffff", "end: 0x107f5fffff", StringComparison.Ordinal);
        Assert.NotEqual(_example, text);
        var s = ScenarioLoader.Parse(text, "m.yaml");
        Assert.Equal(0x107f5fffffUL, Assert.Single(Assert.IsType<InlineIommu>(s.Platform.Iommu).Rmrr).End.Value);
    }

    [Fact]
    public void Known_profiles_are_the_contract_names_and_the_2_6_32_stable_profile() => Assert.Equal(
        ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2",
         "linux-2.6.32", "linux-2.6.32.7", "linux-2.6.33", "linux-3.0",
         "linux-4.19", "linux-5.4", "linux-5.10", "linux-5.15", "linux-6.1", "linux-6.6", "linux-6.12"],
        ProfileNames.All.ToArray());

    [Fact]
    public void Every_vocabulary_value_has_its_word()
    {
        AssertComplete(ContractWords.MemoryTypes);
        AssertComplete(ContractWords.DeviceModels);
        AssertComplete(Vocabulary.FirmwareDma);
        AssertComplete(Vocabulary.FirmwareFaults);
        AssertComplete(Vocabulary.RunJobs);
        AssertComplete(Vocabulary.Ops);
        AssertComplete(Vocabulary.Directions);
        AssertComplete(ContractWords.Outcomes);
        AssertComplete(ContractWords.Domains);
        AssertComplete(ContractWords.DmaOps);
    }

    private static void AssertComplete<T>(VocabularyTable<T> table) where T : struct, Enum
    {
        foreach (var value in Enum.GetValues<T>())
        {
            var word = table.NameOf(value);
            Assert.True(table.TryParse(word, out var back));
            Assert.Equal(value, back);
        }
        Assert.Equal(Enum.GetValues<T>().Length, table.Names.Length);
    }

    [Fact]
    public void Contract_vocabulary_words()
    {
        Assert.Equal(["usable", "reserved", "acpi", "nvs", "unusable"], ContractWords.MemoryTypes.Names.ToArray());
        Assert.Equal(["ok", "stall", "corruption", "fault", "map-error", "firmware-fault", "panic"], ContractWords.Outcomes.Names.ToArray());
        Assert.Equal(["passthrough", "identity", "translated", "none"], ContractWords.Domains.Names.ToArray());
        Assert.Equal(["intel-iommu", "swiotlb", "direct"], ContractWords.DmaOps.Names.ToArray());
        Assert.Equal(["to-device", "from-device", "bidirectional"], Vocabulary.Directions.Names.ToArray());
        // Kernel values, so the simulator can cast to enum dma_data_direction.
        Assert.Equal((0, 1, 2), ((int)StepDirection.Bidirectional, (int)StepDirection.ToDevice, (int)StepDirection.FromDevice));
        Assert.Equal((1, 5), ((int)MemoryType.Usable, (int)MemoryType.Unusable));
    }
}
