using System.Collections.Immutable;
using System.Reflection;
using System.Text;

namespace DmaSim.Scenarios;

/// <summary>
/// One built-in scenario: its name, its text, and the parsed form on first use (a bad seed then fails
/// with its own "seed/NAME.yaml:LINE:COL" position).
/// </summary>
public sealed class SeedScenario
{
    private readonly Lazy<Scenario> _scenario;

    public SeedScenario(string name, string resourceName, string text)
    {
        Name = name;
        ResourceName = resourceName;
        Text = text;
        _scenario = new Lazy<Scenario>(() => ScenarioLoader.Parse(Text, ResourceName));
    }

    /// <summary>The file name without ".yaml".</summary>
    public string Name { get; }

    /// <summary>"seed/NAME.yaml": what errors print.</summary>
    public string ResourceName { get; }

    public string Text { get; }

    public Scenario Scenario => _scenario.Value;
}

/// <summary>The seed scenarios embedded from scenarios/seed/*.yaml as resources "seed/NAME.yaml".</summary>
public static class SeedSuite
{
    private const string Prefix = "seed/";
    private const string Suffix = ".yaml";

    /// <summary>The seeds shipped in this assembly, ordered by name so runs are reproducible.</summary>
    public static ImmutableArray<SeedScenario> All() => From(typeof(SeedSuite).Assembly);

    /// <summary>The "seed/*.yaml" resources of any assembly (tests inject their own).</summary>
    public static ImmutableArray<SeedScenario> From(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var seeds = ImmutableArray.CreateBuilder<SeedScenario>();
        foreach (var resource in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal) || !resource.EndsWith(Suffix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            seeds.Add(new SeedScenario(resource[Prefix.Length..^Suffix.Length], resource, reader.ReadToEnd()));
        }
        // Ordered by scenario name (not resource name, where "-" sorts before ".yaml").
        return [.. seeds.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }
}
