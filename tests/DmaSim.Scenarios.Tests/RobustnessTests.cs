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
    public void Known_profiles_are_the_contract_names_and_the_2_6_32_stable_profile() => Assert.Equal(
        ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2",
         "linux-2.6.32", "linux-2.6.32.7", "linux-2.6.33", "linux-3.0", "linux-6.1"],
        KnownProfiles.Names.ToArray());

    [Fact]
    public void Every_vocabulary_value_has_its_word()
    {
        AssertComplete(Vocabulary.MemoryTypes);
        AssertComplete(Vocabulary.DeviceModels);
        AssertComplete(Vocabulary.FirmwareDma);
        AssertComplete(Vocabulary.FirmwareFaults);
        AssertComplete(Vocabulary.RunJobs);
        AssertComplete(Vocabulary.Ops);
        AssertComplete(Vocabulary.Directions);
        AssertComplete(Vocabulary.Outcomes);
        AssertComplete(Vocabulary.Domains);
        AssertComplete(Vocabulary.DmaOps);
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
        Assert.Equal(["usable", "reserved", "acpi", "nvs", "unusable"], Vocabulary.MemoryTypes.Names.ToArray());
        Assert.Equal(["ok", "stall", "corruption", "fault", "map-error", "firmware-fault", "panic"], Vocabulary.Outcomes.Names.ToArray());
        Assert.Equal(["passthrough", "identity", "translated", "none"], Vocabulary.Domains.Names.ToArray());
        Assert.Equal(["intel-iommu", "swiotlb", "direct"], Vocabulary.DmaOps.Names.ToArray());
        Assert.Equal(["to-device", "from-device", "bidirectional"], Vocabulary.Directions.Names.ToArray());
        // Kernel values, so the simulator can cast to enum dma_data_direction.
        Assert.Equal((0, 1, 2), ((int)StepDirection.Bidirectional, (int)StepDirection.ToDevice, (int)StepDirection.FromDevice));
        Assert.Equal((1, 5), ((int)MemoryType.Usable, (int)MemoryType.Unusable));
    }
}
