using System.Globalization;
using DmaSim.Core;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// Replaces one scalar of a scenario's YAML tree by path, returning a new tree (the tree is immutable).
/// A segment names a mapping key, or a list item by its `name`, `device` or `bdf` (or its index). A
/// top-level key the scenario lacks is looked up under `platform:` (`devices.NAME.address-bits`). A
/// missing last key is added (a device's absent `descriptor-address-bits`), and a `drivers` entry a
/// device lacks is created, so a spec can set what the scenario leaves at its default.
/// </summary>
internal static class TreePath
{
    private static readonly string[] _itemKeys = ["name", "device", "bdf"];

    public static YNode Set(YNode root, string path, YScalar value, SourceSpan pathSpan)
    {
        var segments = path.Split('.');
        if (root is YMapping top && Find(top, segments[0]) is null && Find(top, "platform") is YMapping platform && Find(platform, segments[0]) is not null)
            segments = ["platform", .. segments];
        return SetAt(root, segments, 0, value, pathSpan, path);
    }

    private static YNode SetAt(YNode node, string[] segs, int i, YScalar value, SourceSpan at, string path)
    {
        if (i == segs.Length)
        {
            return node is YScalar
                ? value
                : throw new InputException(at, $"path '{path}' names {node.Describe()}, not a scalar; a sweep sets one value at a time");
        }
        var seg = segs[i];
        switch (node)
        {
            case YMapping map:
                {
                    var index = map.Entries.ToList().FindIndex(e => e.Key.Value == seg);
                    if (index < 0 && seg == "drivers" && i == 0)
                    {
                        // A scenario without `drivers:` leaves every mask at the PCI default; a spec may still set one.
                        var empty = new YSequence([], at);
                        return map with { Entries = [.. map.Entries, new(new YScalar(seg, false, at), SetAt(empty, segs, i + 1, value, at, path))] };
                    }
                    if (index < 0)
                    {
                        if (i < segs.Length - 1) throw new InputException(at, $"path '{path}': no '{seg}' in {Where(segs, i)}");
                        return map with { Entries = [.. map.Entries, new(new YScalar(seg, false, at), value)] };
                    }
                    var entries = map.Entries.ToArray();
                    entries[index] = new(entries[index].Key, SetAt(entries[index].Value, segs, i + 1, value, at, path));
                    return map with { Entries = entries };
                }
            case YSequence seq:
                {
                    var index = ItemIndex(seq, seg);
                    if (index < 0)
                    {
                        if (segs[i - 1] == "drivers" && i == segs.Length - 2)
                        {
                            var entry = new YMapping([new(new YScalar("device", false, at), new YScalar(seg, false, at))], at);
                            return seq with { Items = [.. seq.Items, SetAt(entry, segs, i + 1, value, at, path)] };
                        }
                        throw new InputException(at, $"path '{path}': no item '{seg}' in {Where(segs, i)} (items: {string.Join(", ", Names(seq))})");
                    }
                    var items = seq.Items.ToArray();
                    items[index] = SetAt(items[index], segs, i + 1, value, at, path);
                    return seq with { Items = items };
                }
            case YScalar { IsNull: true } when i > 0 && segs[i - 1] == "drivers":
                return SetAt(new YSequence([], node.Span), segs, i, value, at, path);
            default:
                throw new InputException(at, $"path '{path}': {Where(segs, i)} is {node.Describe()}, it has no '{seg}'");
        }
    }

    public static YNode? Find(YMapping map, string key) => map.Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    /// <summary>A list item named <paramref name="seg"/> by its identifying key, else by position.</summary>
    public static int ItemIndex(YSequence seq, string seg)
    {
        for (var k = 0; k < seq.Items.Count; k++)
        {
            if (seq.Items[k] is YMapping m && _itemKeys.Any(key => Find(m, key) is YScalar s && s.Value == seg)) return k;
        }
        return int.TryParse(seg, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < seq.Items.Count ? n : -1;
    }

    private static IEnumerable<string> Names(YSequence seq) =>
        seq.Items.OfType<YMapping>().Select(m => _itemKeys.Select(k => Find(m, k)).OfType<YScalar>().FirstOrDefault()?.Value ?? "?");

    private static string Where(string[] segs, int i) => i == 0 ? "the scenario" : $"'{string.Join('.', segs[..i])}'";
}
