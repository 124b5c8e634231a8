using DmaSim.Core;

namespace DmaSim.Scenarios.Sweep;

/// <summary>Structural edits of a scenario tree for the shrinker: drop a device everywhere it is named, drop a step, find scalars.</summary>
internal static class TreeEdits
{
    public static YNode Replace(YNode node, string[] path, YNode replacement)
    {
        if (path.Length == 0) return replacement;
        if (node is not YMapping m) return node;
        var entries = m.Entries.Select(e => e.Key.Value == path[0] ? new KeyValuePair<YScalar, YNode>(e.Key, Replace(e.Value, path[1..], replacement)) : e).ToArray();
        return m with { Entries = entries };
    }

    public static int Count(YNode root, string key) =>
        root is YMapping m && TreePath.Find(m, key) is YSequence s ? s.Items.Count : 0;

    public static YNode RemoveAt(YNode root, string key, int index)
    {
        if (root is not YMapping m || TreePath.Find(m, key) is not YSequence s) return root;
        return Replace(root, [key], s with { Items = [.. s.Items.Where((_, i) => i != index)] });
    }

    /// <summary>
    /// Removes the device and every entry that names it by name or BDF: driver entries, workload steps,
    /// expectations, and RMRR/unit scope lists (an RMRR left with no device goes too).
    /// </summary>
    public static YNode RemoveDevice(YNode root, string name)
    {
        var bdf = root is YMapping top && TreePath.Find(top, "platform") is YMapping p && TreePath.Find(p, "devices") is YSequence devs
            && devs.Items.OfType<YMapping>().FirstOrDefault(d => TreePath.Find(d, "name") is YScalar n && n.Value == name) is { } dev
            && TreePath.Find(dev, "bdf") is YScalar b ? b.Value : null;
        bool Names(YNode n) => n is YScalar s && (s.Value == name || (bdf is not null && s.Value == bdf));
        bool Owned(YNode item) => item is YMapping im && im.Entries.Any(e => e.Key.Value is "name" or "device" or "bdf" && Names(e.Value));
        YNode Walk(YNode node) => node switch
        {
            YMapping m => m with { Entries = [.. m.Entries.Select(e => new KeyValuePair<YScalar, YNode>(e.Key, Walk(e.Value)))] },
            YSequence s => s with { Items = [.. s.Items.Where(i => !Owned(i) && !Names(i)).Select(Walk).Where(i => !LostAllDevices(i))] },
            _ => node,
        };
        return Walk(root);
    }

    /// <summary>A scope entry (RMRR) whose `devices:` list became empty.</summary>
    private static bool LostAllDevices(YNode item) => item is YMapping m && TreePath.Find(m, "devices") is YSequence { Items.Count: 0 };

    public static YNode ExpectOnly(YNode root, string device, string outcome, SourceSpan at)
    {
        var expect = new YSequence([new YMapping(
            [
                new(new YScalar("device", false, at), new YScalar(device, false, at)),
                new(new YScalar("outcome", false, at), new YScalar(outcome, false, at)),
            ], at)], at);
        if (root is not YMapping m) return root;
        return TreePath.Find(m, "expect") is null
            ? m with { Entries = [.. m.Entries, new(new YScalar("expect", false, at), expect)] }
            : Replace(root, ["expect"], expect);
    }

    /// <summary>Every scalar under one of <paramref name="keys"/>, with a path <see cref="TreePath.Set"/> accepts.</summary>
    public static List<(string Path, string Key, string Value)> Scalars(YNode root, string[] keys)
    {
        var found = new List<(string, string, string)>();
        void Walk(YNode node, string path)
        {
            switch (node)
            {
                case YMapping m:
                    foreach (var (k, v) in m.Entries)
                    {
                        var p = path.Length == 0 ? k.Value : path + "." + k.Value;
                        if (v is YScalar s && keys.Contains(k.Value)) found.Add((p, k.Value, s.Value));
                        else Walk(v, p);
                    }
                    break;
                case YSequence seq:
                    for (var i = 0; i < seq.Items.Count; i++) Walk(seq.Items[i], path + "." + ItemSegment(seq, i));
                    break;
            }
        }
        Walk(root, "");
        return found;
    }

    /// <summary>An item's name when it alone has it (devices, drivers), else its index (steps name devices many times).</summary>
    private static string ItemSegment(YSequence seq, int i)
    {
        foreach (var key in new[] { "name", "device" })
        {
            if (seq.Items[i] is YMapping m && TreePath.Find(m, key) is YScalar s
                && seq.Items.Count(o => o is YMapping om && TreePath.Find(om, key) is YScalar os && os.Value == s.Value) == 1
                && TreePath.ItemIndex(seq, s.Value) == i)
                return s.Value;
        }
        return i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
