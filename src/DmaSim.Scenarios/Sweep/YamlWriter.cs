using System.Text;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// Writes a scenario tree back as YAML in the style of the seed files: block mappings and lists, with
/// a mapping or list of scalars on one line in flow style. Scalars are quoted whenever plain YAML could
/// read them differently, so the text loads to the same tree.
/// </summary>
internal static class YamlWriter
{
    public static string Write(YNode root, IEnumerable<string> headerComment)
    {
        var sb = new StringBuilder();
        foreach (var line in headerComment) sb.Append("# ").Append(line).Append('\n');
        if (root is YMapping m) Mapping(sb, m, 0);
        else sb.Append(Flow(root)).Append('\n');
        return sb.ToString();
    }

    private static void Mapping(StringBuilder sb, YMapping m, int indent)
    {
        foreach (var (key, value) in m.Entries)
        {
            sb.Append(' ', indent).Append(Scalar(key)).Append(':');
            Value(sb, value, indent);
        }
    }

    /// <summary>The part after "key:" or "- ": inline when flat, else on the next lines.</summary>
    private static void Value(StringBuilder sb, YNode value, int indent)
    {
        if (IsFlat(value))
        {
            sb.Append(' ').Append(Flow(value)).Append('\n');
            return;
        }
        sb.Append('\n');
        if (value is YMapping m) Mapping(sb, m, indent + 2);
        else Sequence(sb, (YSequence)value, indent + 2);
    }

    private static void Sequence(StringBuilder sb, YSequence s, int indent)
    {
        foreach (var item in s.Items)
        {
            sb.Append(' ', indent).Append('-');
            if (IsFlat(item) || item is not YMapping m) Value(sb, item, indent);
            else
            {
                // "- key: value" then the other keys under it.
                var (k0, v0) = m.Entries[0];
                sb.Append(' ').Append(Scalar(k0)).Append(':');
                Value(sb, v0, indent + 2);
                Mapping(sb, m with { Entries = [.. m.Entries.Skip(1)] }, indent + 2);
            }
        }
    }

    private static bool IsFlat(YNode node) => node switch
    {
        YScalar => true,
        YSequence s => s.Items.All(i => i is YScalar),
        YMapping m => m.Entries.Count > 0 && m.Entries.All(e => e.Value is YScalar || (e.Value is YSequence s && s.Items.All(i => i is YScalar))),
        _ => false,
    };

    private static string Flow(YNode node) => node switch
    {
        YScalar s => Scalar(s),
        YSequence s => "[" + string.Join(", ", s.Items.Select(Flow)) + "]",
        YMapping m when m.Entries.Count == 0 => "{}",
        YMapping m => "{ " + string.Join(", ", m.Entries.Select(e => Scalar(e.Key) + ": " + Flow(e.Value))) + " }",
        _ => throw new InvalidOperationException("unknown YAML node"),
    };

    private static string Scalar(YScalar s)
    {
        if (s.IsNull) return "~";
        if (!s.Quoted && !NeedsQuotes(s.Value)) return s.Value;
        var sb = new StringBuilder("\"");
        foreach (var c in s.Value)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static bool NeedsQuotes(string v) =>
        v.Length == 0 || v != v.Trim() || v.IndexOfAny([':', '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '\n', '\t']) >= 0
        || v[0] is '-' or '?';
}
