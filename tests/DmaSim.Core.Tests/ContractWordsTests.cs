using System.Text.RegularExpressions;
using DmaSim.Testing;

namespace DmaSim.Core.Tests;

/// <summary>
/// Every contract word documented in docs/scenario-format.md is in its table, in the documented order, and
/// round-trips word → enum → word; every enum value has exactly one word.
/// </summary>
public partial class ContractWordsTests
{
    private static readonly string _format = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "docs", "scenario-format.md"));

    /// <summary>The backticked words after <paramref name="marker"/> on its line of the format document.</summary>
    private static List<string> Documented(string marker)
    {
        var line = _format.Split('\n').Single(l => l.Contains(marker, StringComparison.Ordinal));
        var tail = line[(line.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..];
        return [.. Word().Matches(tail).Select(m => m.Groups[1].Value)];
    }

    private static void RoundTrips<T>(VocabularyTable<T> table, List<string> documented) where T : struct, Enum
    {
        Assert.Equal(documented, table.Names);
        foreach (var word in documented)
        {
            Assert.True(table.TryParse(word, out var value), word);
            Assert.Equal(word, table.NameOf(value));
        }
        foreach (var value in Enum.GetValues<T>())
            Assert.Single(table.Names, w => table.TryParse(w, out var v) && v.Equals(value));
        Assert.False(table.TryParse(documented[0].ToUpperInvariant(), out _));
    }

    [Fact]
    public void Outcomes_round_trip_including_panic() =>
        RoundTrips(ContractWords.Outcomes, Documented("`{ device, outcome }` | worst outcome over the run:"));

    [Fact]
    public void Domains_round_trip() => RoundTrips(ContractWords.Domains, Documented("`{ device, domain }` |"));

    [Fact]
    public void Dma_ops_round_trip() => RoundTrips(ContractWords.DmaOps, Documented("`{ device, dma-ops }` |"));

    [Fact]
    public void Memory_types_round_trip() => RoundTrips(ContractWords.MemoryTypes, Documented("All three required. `type`:"));

    [Fact]
    public void Device_models_round_trip() => RoundTrips(ContractWords.DeviceModels, Documented("| `model` | yes | — |"));

    [Fact]
    public void Panic_is_the_worst_outcome() => Assert.Equal(Outcome.Panic, Enum.GetValues<Outcome>().Max());

    [Fact]
    public void Profile_names_are_the_documented_ones()
    {
        var readme = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md"));
        foreach (var name in ProfileNames.All) Assert.Contains($"`{name}`", readme, StringComparison.Ordinal);
        Assert.Equal(ProfileNames.All.Length, ProfileNames.All.Distinct(StringComparer.Ordinal).Count());
    }

    [GeneratedRegex("`([a-z0-9-]+)`")]
    private static partial Regex Word();
}
