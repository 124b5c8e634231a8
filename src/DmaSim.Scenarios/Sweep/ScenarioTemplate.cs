using DmaSim.Core;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// A scenario kept as its YAML tree so a sweep (or the shrinker) can change any part and load the
/// result with the scenario loader: every variant is checked exactly as a hand-written file would be,
/// and a value that breaks it is reported at the place in the spec where it was written.
/// </summary>
public sealed class ScenarioTemplate
{
    private readonly YNode _root;

    private ScenarioTemplate(YNode root, string fileName)
    {
        _root = root;
        FileName = fileName;
    }

    public string FileName { get; }

    /// <summary>Reads a scenario file; it must load as it is.</summary>
    public static ScenarioTemplate Load(string path)
    {
        ScenarioLoader.Load(path);
        return Parse(File.ReadAllText(path), path);
    }

    public static ScenarioTemplate Parse(string yamlText, string fileName)
    {
        var t = new ScenarioTemplate(YamlTree.Read(yamlText, fileName), fileName);
        t.Build();
        return t;
    }

    /// <summary>The scenario this tree describes (loaded, so every rule of the format holds).</summary>
    public Scenario Build() => ScenarioLoader.FromTree(_root, FileName);

    /// <summary>One scalar replaced by path (see <see cref="TreePath"/>); <paramref name="value"/> keeps the span where it was written.</summary>
    public ScenarioTemplate With(string path, AxisValue value, SourceSpan pathSpan) =>
        new(TreePath.Set(_root, path, new YScalar(value.Text, value.Quoted, value.Span), pathSpan), FileName);

    /// <summary>Total usable RAM set to <paramref name="bytes"/> (see <see cref="RamEdit"/>).</summary>
    public ScenarioTemplate WithRam(ulong bytes, SourceSpan at) => new(RamEdit.Apply(_root, bytes, at), FileName);

    /// <summary>Applies a cell's scenario axes (RAM and `set:`); profile and command line are the runner's.</summary>
    public ScenarioTemplate WithAxes(IEnumerable<(SweepAxis Axis, AxisValue Value)> cell)
    {
        var t = this;
        foreach (var (axis, value) in cell)
        {
            t = axis.Kind switch
            {
                AxisKind.Ram => t.WithRam(ScenarioNumber.Parse(value.Text), value.Span),
                AxisKind.Set => t.With(axis.Name, value, axis.Span),
                _ => t,
            };
        }
        return t;
    }

    /// <summary>The scenario's usable RAM in bytes, as its e820 map states it.</summary>
    public ulong UsableRam => RamEdit.Usable(_root);

    /// <summary>The device without any entry that names it (drivers, steps, expectations, RMRR scopes).</summary>
    public ScenarioTemplate WithoutDevice(string name) => new(TreeEdits.RemoveDevice(_root, name), FileName);

    /// <summary>The workload without its step at <paramref name="index"/>.</summary>
    public ScenarioTemplate WithoutStep(int index) => new(TreeEdits.RemoveAt(_root, "workload", index), FileName);

    /// <summary>The scenario's `expect:` replaced by one outcome expectation, so the file checks what it shows.</summary>
    public ScenarioTemplate ExpectingOnly(string device, string outcome, SourceSpan at) => new(TreeEdits.ExpectOnly(_root, device, outcome, at), FileName);

    /// <summary>Number of workload steps.</summary>
    public int StepCount => TreeEdits.Count(_root, "workload");

    /// <summary>Scalars that hold a count or width and where they are (`workload.3.count`, `devices.smartarray.address-bits`).</summary>
    public IReadOnlyList<(string Path, string Key, string Value)> Scalars(params string[] keys) => TreeEdits.Scalars(_root, keys);

    /// <summary>The tree as YAML text, with <paramref name="headerComment"/> lines first.</summary>
    public string ToYaml(IEnumerable<string> headerComment) => YamlWriter.Write(_root, headerComment);
}
