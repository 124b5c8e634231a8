using DmaSim.Core;
using DmaSim.Scenarios.Sweep;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Sweep;

/// <summary>
/// A machine of a sweep: its name (the file's stem), its file, and its scenario tree, read or imported the
/// first time a cell needs it (a shard that runs a few machines of a fleet imports only those). A file that
/// does not load throws its <see cref="InputException"/> at every use.
/// </summary>
public sealed class FleetMachine(string name, string fileName, Func<ScenarioTemplate> load)
{
    private readonly Lazy<ScenarioTemplate> _template = new(load, LazyThreadSafetyMode.ExecutionAndPublication);

    public string Name { get; } = name;
    public string FileName { get; } = fileName;
    public ScenarioTemplate Template => _template.Value;
}

/// <summary>
/// `fleet: DIR`: every scenario in the folder (`*.yaml`, `*.yml`), and every kernel log (`*.dmesg`,
/// `*.dmesg.txt`) imported on the fly as `dmasim import` would, with the DMAR table (`*.dat`, `*.bin`)
/// whose name is the longest prefix of the log's name. Files are taken in ordinal name order so the
/// machine axis is the same on every host.
/// </summary>
internal static class Fleet
{
    private static readonly string[] _logSuffixes = [".dmesg.txt", ".dmesg"];

    public static IReadOnlyList<FleetMachine> Load(SweepSource source)
    {
        if (source is BaseScenarioSource b)
        {
            if (!File.Exists(b.Path)) throw new InputException(b.Span, $"base scenario not found: {b.Path}");
            var only = new FleetMachine(Path.GetFileNameWithoutExtension(b.Path), b.Path, () => ScenarioTemplate.Load(b.Path));
            _ = only.Template; // one machine: a base that does not load stops the sweep here, as before
            return [only];
        }
        if (!Directory.Exists(source.Path)) throw new InputException(source.Span, $"fleet folder not found: {source.Path}");
        var files = Directory.GetFiles(source.Path).Order(StringComparer.Ordinal).ToList();
        var tables = files.Where(f => f.EndsWith(".dat", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal)).ToList();
        var list = files.Select(f => Describe(f, tables)).OfType<FleetMachine>().ToList();
        if (list.Count == 0) throw new InputException(source.Span, $"fleet folder {source.Path} holds no scenario (*.yaml) and no kernel log (*.dmesg, *.dmesg.txt)");
        if (list.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InputException(source.Span, $"two machines in the fleet are named '{twice.Key}' (a scenario and a log with the same stem)");
        return list;
    }

    // A machine's name and how to load it (nothing is read yet); null for a file that is no machine.
    private static FleetMachine? Describe(string file, List<string> tables)
    {
        var name = Path.GetFileName(file);
        if (name.EndsWith(".yaml", StringComparison.Ordinal) || name.EndsWith(".yml", StringComparison.Ordinal))
            return new FleetMachine(Path.GetFileNameWithoutExtension(name), file, () => ScenarioTemplate.Load(file));
        var suffix = _logSuffixes.FirstOrDefault(s => name.EndsWith(s, StringComparison.Ordinal));
        if (suffix is null) return null;
        var stem = name[..^suffix.Length];
        var table = tables
            .Select(t => (Path: t, Stem: Path.GetFileNameWithoutExtension(t)))
            .Where(t => stem == t.Stem || stem.StartsWith(t.Stem + "_", StringComparison.Ordinal) || stem.StartsWith(t.Stem + "-", StringComparison.Ordinal))
            .OrderByDescending(t => t.Stem.Length)
            .Select(t => t.Path)
            .FirstOrDefault();
        return new FleetMachine(stem, file, () => ScenarioTemplate.Parse(ScenarioImporter.Import(new ImportOptions(file, table, null)), file));
    }
}
