using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// Loads `dmasim-sweep/v1` specs with the scenario loader's YAML tree, so every problem is an
/// <see cref="InputException"/> at FILE:LINE:COL, worded like scenario errors.
/// </summary>
public static class SweepSpecLoader
{
    private static readonly string[] _keys = ["schema", "name", "description", "base", "fleet", "axes"];
    private static readonly string[] _axisKeys = ["profile", "cmdline", "ram", "set", "zip"];

    public static SweepSpec Load(string path) => Parse(InputFiles.ReadText(path, "sweep spec", InputFiles.MaxScenarioBytes), path);

    /// <summary>Parses spec text; `base:`/`fleet:` are resolved against <paramref name="fileName"/>'s folder. Touches no file.</summary>
    public static SweepSpec Parse(string yamlText, string fileName)
    {
        var root = YamlTree.Read(yamlText, fileName);
        if (root is YScalar { IsNull: true }) throw Error(root.Span, $"the file holds no sweep spec; it starts with 'schema: {SweepSpec.SchemaV1}'");
        var m = Map(root, "sweep spec", _keys);
        var schemaNode = m.Get("schema") ?? throw Error(m.Span, $"sweep spec needs 'schema: {SweepSpec.SchemaV1}'");
        var schema = Text(schemaNode, "schema");
        if (schema != SweepSpec.SchemaV1)
            throw Error(schemaNode.Span, schema == Scenario.SchemaV1
                ? $"this is a scenario, not a sweep spec; a sweep spec starts with 'schema: {SweepSpec.SchemaV1}' and names the scenario in 'base:'"
                : $"unsupported schema '{schema}'; this build reads {SweepSpec.SchemaV1}");
        var name = Name(m.Required("name"), "name");
        if (m.Get("description") is { } d) OptionalText(d, "description");
        var source = ReadSource(m, fileName);
        var groups = m.Get("axes") is { } axes ? ReadAxes(axes) : [];
        return new SweepSpec(name, fileName, source, groups, m.Span);
    }

    private static SweepSource ReadSource(MapReader m, string fileName)
    {
        var b = m.Get("base");
        var f = m.Get("fleet");
        if (b is not null && f is not null) throw Error(m.KeyNode("fleet")!.Span, "a sweep has either 'base:' (one scenario) or 'fleet:' (a folder of machines), not both");
        if (b is null && f is null) throw Error(m.Span, "sweep spec needs 'base: SCENARIO' or 'fleet: DIR'");
        var node = (b ?? f)!;
        var path = Text(node, b is not null ? "base" : "fleet");
        var dir = Path.GetDirectoryName(fileName);
        var resolved = Path.IsPathRooted(path) || string.IsNullOrEmpty(dir) ? path : Path.Combine(dir, path);
        return b is not null ? new BaseScenarioSource(resolved, node.Span) : new FleetSource(resolved, node.Span);
    }

    private static List<AxisGroup> ReadAxes(YNode node)
    {
        var m = Map(node, "axes", _axisKeys);
        var groups = new List<AxisGroup>();
        var seen = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
        // Axes keep the order the spec writes them: the first is the outermost loop of the cells.
        foreach (var key in m.Keys)
        {
            var value = m.Get(key)!;
            if (key == "zip")
            {
                foreach (var zipped in value is YSequence list ? list.Items : [value])
                    groups.Add(ReadZip(zipped, seen));
                continue;
            }
            groups.AddRange(ReadAxisEntry(key, value, m.KeyNode(key)!.Span, seen).Select(a => new AxisGroup([a])));
        }
        return groups;
    }

    private static AxisGroup ReadZip(YNode node, Dictionary<string, SourceSpan> seen)
    {
        var m = Map(node, "zip group", "profile", "cmdline", "ram", "set");
        var axes = new List<SweepAxis>();
        foreach (var key in m.Keys) axes.AddRange(ReadAxisEntry(key, m.Get(key)!, m.KeyNode(key)!.Span, seen));
        if (axes.Count == 0) throw Error(m.Span, "zip group names no axis");
        foreach (var a in axes.Skip(1))
            if (a.Values.Count != axes[0].Values.Count)
                throw Error(a.Span, $"zipped axes move together, so they need as many values each: '{a.Name}' has {a.Values.Count}, '{axes[0].Name}' has {axes[0].Values.Count}");
        return new AxisGroup(axes);
    }

    private static List<SweepAxis> ReadAxisEntry(string key, YNode value, SourceSpan keySpan, Dictionary<string, SourceSpan> seen)
    {
        List<SweepAxis> axes = key switch
        {
            "profile" => [new SweepAxis("profile", AxisKind.Profile, Profiles(value), keySpan)],
            "cmdline" => [new SweepAxis("cmdline", AxisKind.Cmdline, Values(value, "cmdline", v => OptionalText(v, "cmdline")), keySpan)],
            "ram" => [new SweepAxis("ram", AxisKind.Ram, Values(value, "ram", v => Positive(v, "ram")), keySpan)],
            _ => SetAxes(value),
        };
        foreach (var a in axes)
        {
            if (seen.TryGetValue(a.Name, out var first))
                throw Error(a.Span, $"axis '{a.Name}' is already given at line {first.Line}");
            seen.Add(a.Name, a.Span);
        }
        return axes;
    }

    private static List<SweepAxis> SetAxes(YNode node)
    {
        var m = Map(node, "set", [.. (node as YMapping)?.Entries.Select(e => e.Key.Value) ?? []]);
        var axes = new List<SweepAxis>();
        foreach (var path in m.Keys)
        {
            var key = m.KeyNode(path)!;
            if (path.Split('.').Any(s => s.Length == 0))
                throw Error(key.Span, $"bad path '{path}': write the scenario's keys joined by '.', with a device or driver by its name (devices.NAME.address-bits)");
            axes.Add(new SweepAxis(path, AxisKind.Set, Values(m.Get(path)!, path, v => OptionalText(v, path)), key.Span));
        }
        if (axes.Count == 0) throw Error(m.Span, "set names no path");
        return axes;
    }

    private static List<AxisValue> Profiles(YNode node)
    {
        if (node is YScalar { Value: "all", Quoted: false } all)
            return [.. ProfileNames.All.Select(n => new AxisValue(n, false, all.Span))];
        return Values(node, "profile", v => ExpectReader.Profile(v));
    }

    /// <summary>An axis's values: a list of scalars, or one scalar for a single value. <paramref name="check"/> refuses bad ones at their place.</summary>
    private static List<AxisValue> Values<T>(YNode node, string what, Func<YNode, T> check)
    {
        var items = node is YSequence s ? s.Items : [node];
        if (items.Count == 0) throw Error(node.Span, $"axis '{what}' has no values");
        var values = new List<AxisValue>();
        foreach (var item in items)
        {
            if (item is not YScalar scalar) throw Error(item.Span, $"a value of axis '{what}' must be a scalar, not {item.Describe()}");
            check(scalar);
            if (values.FirstOrDefault(v => v.Text == scalar.Value) is { } twice)
                throw Error(scalar.Span, $"value '{scalar.Value}' of axis '{what}' is already listed at line {twice.Span.Line}");
            values.Add(new AxisValue(scalar.Value, scalar.Quoted, scalar.Span));
        }
        return values;
    }
}
