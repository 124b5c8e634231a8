using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>
/// Typed reads of <see cref="YNode"/>s for one file. Every failure is an <see cref="InputException"/> at the
/// node that caused it, worded for the person who wrote the scenario.
/// </summary>
internal static class Reader
{
    public static InputException Error(SourceSpan at, string problem) => new(at, problem);

    /// <summary>A mapping whose keys must all be in <paramref name="keys"/>; anything else is an unknown key.</summary>
    public static MapReader Map(YNode node, string what, params string[] keys)
    {
        if (node is not YMapping map) throw Error(node.Span, $"{what} must be a mapping, not {node.Describe()}");
        foreach (var (key, _) in map.Entries)
        {
            if (keys.Contains(key.Value, StringComparer.Ordinal)) continue;
            var hint = Suggest(key.Value, keys);
            throw Error(key.Span, hint is null
                ? $"unknown key '{key.Value}' in {what}; expected one of: {string.Join(", ", keys)}"
                : $"unknown key '{key.Value}' in {what} (did you mean '{hint}'?)");
        }
        return new MapReader(map, what);
    }

    /// <summary>A list; a key with nothing after it (`drivers:`) reads as an empty list.</summary>
    public static IReadOnlyList<YNode> List(YNode node, string what) => node switch
    {
        YSequence s => s.Items,
        YScalar { IsNull: true } => [],
        _ => throw Error(node.Span, $"{what} must be a list, not {node.Describe()}"),
    };

    public static string Text(YNode node, string what)
    {
        if (node is not YScalar s) throw Error(node.Span, $"{what} must be text, not {node.Describe()}");
        if (s.IsNull || s.Value.Length == 0) throw Error(node.Span, $"{what} is empty");
        return s.Value;
    }

    /// <summary>Like <see cref="Text"/> but an empty value is allowed (a description, a command line).</summary>
    public static string OptionalText(YNode node, string what) =>
        node is YScalar s ? (s.IsNull ? "" : s.Value) : throw Error(node.Span, $"{what} must be text, not {node.Describe()}");

    /// <summary>A name other entries refer to: letters, digits, '.', '_', '-' ('#' is kept for repeat suffixes).</summary>
    public static string Name(YNode node, string what)
    {
        var text = Text(node, what);
        if (!char.IsAsciiLetterOrDigit(text[0]) || text.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-')))
            throw Error(node.Span, $"bad {what} '{text}': use letters, digits, '.', '_' and '-', starting with a letter or digit");
        return text;
    }

    public static ulong Number(YNode node, string what)
    {
        var text = Text(node, what);
        return ScenarioNumber.TryParse(text, out var value, out var problem) ? value : throw Error(node.Span, $"{what}: {problem}");
    }

    public static int Int(YNode node, string what, int min, int max)
    {
        var value = Number(node, what);
        if (value < (ulong)min || value > (ulong)max)
            throw Error(node.Span, $"{what} must be between {min} and {max}, not {value}");
        return (int)value;
    }

    /// <summary>Mask and address widths: a count of address bits between 1 and 64 unless narrowed.</summary>
    public static int Bits(YNode node, string what, int min = 1, int max = 64) => Int(node, what, min, max);

    public static ulong Positive(YNode node, string what)
    {
        var value = Number(node, what);
        return value > 0 ? value : throw Error(node.Span, $"{what} must be at least 1");
    }

    /// <summary>A number from 1 to <paramref name="max"/>; <paramref name="why"/> says what the bound protects.</summary>
    public static ulong Positive(YNode node, string what, ulong max, string why, bool isBytes = true)
    {
        var value = Positive(node, what);
        string Show(ulong v) => isBytes ? Sizes.Format(v) : v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return value <= max ? value : throw Error(node.Span, $"{what} must be at most {Show(max)}, not {Show(value)}: {why} (docs/limits.md)");
    }

    public static bool Flag(YNode node, string what)
    {
        var text = Text(node, what);
        return text switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(node.Span, $"{what} must be true or false, not '{text}'"),
        };
    }

    public static T Word<T>(YNode node, string what, VocabularyTable<T> table) where T : struct, Enum
    {
        var text = Text(node, what);
        if (table.TryParse(text, out var value)) return value;
        var hint = Suggest(text, table.Names);
        throw Error(node.Span, hint is null
            ? $"unknown {what} '{text}'; expected one of: {string.Join(", ", table.Names)}"
            : $"unknown {what} '{text}' (did you mean '{hint}'?)");
    }

    /// <summary>A physical address the CPU can form with <paramref name="physBits"/> address bits.</summary>
    public static PhysAddr Address(YNode node, string what, int physBits)
    {
        var value = Number(node, what);
        var max = DmaMask.Bits(physBits);
        if (value > max)
            throw Error(node.Span, $"{what} {Hex.Format(value)} is beyond the {physBits}-bit physical address space (max {Hex.Format(max)})");
        return new PhysAddr(value);
    }

    /// <summary>An inclusive `start`/`end` pair, both inside the physical address space.</summary>
    public static PhysRange Range(MapReader map, int physBits)
    {
        var start = Address(map.Required("start"), "start", physBits);
        var endNode = map.Required("end");
        var end = Address(endNode, "end", physBits);
        if (end < start)
            throw Error(endNode.Span, $"end {end} is below start {start} (ranges are inclusive: end is the last byte)");
        return new PhysRange(start, end);
    }

    public static PciBdf Bdf(YNode node, string what)
    {
        var text = Text(node, what);
        return PciBdf.TryParse(text, out var bdf)
            ? bdf
            : throw Error(node.Span, $"bad BDF '{text}': write bus:device.function in hex, e.g. \"03:00.0\" (device 00-1f, function 0-7)");
    }

    /// <summary>The closest candidate within two edits, to turn a typo into a "did you mean".</summary>
    public static string? Suggest(string text, IEnumerable<string> candidates) => Spelling.Suggest(text, candidates);
}

/// <summary>The entries of one mapping, looked up by key; unknown keys were already refused.</summary>
internal sealed class MapReader(YMapping map, string what)
{
    public SourceSpan Span => map.Span;
    public string What => what;

    public YNode? Get(string key) => map.Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    public bool Has(string key) => Get(key) is not null;

    /// <summary>The key node itself, to point an error at the key rather than its value.</summary>
    public YScalar? KeyNode(string key) => map.Entries.FirstOrDefault(e => e.Key.Value == key).Key;

    public IEnumerable<string> Keys => map.Entries.Select(e => e.Key.Value);

    public YNode Required(string key) => Get(key) ?? throw Reader.Error(map.Span, $"{what} needs '{key}'");
}
