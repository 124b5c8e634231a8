using DmaSim.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DmaSim.Scenarios;

/// <summary>A YAML node with the position it starts at; built from YamlDotNet's event parser.</summary>
internal abstract record YNode(SourceSpan Span)
{
    /// <summary>What the node is, in words for an error message ("a list", "a mapping", "'abc'").</summary>
    public abstract string Describe();
}

internal sealed record YScalar(string Value, bool Quoted, SourceSpan Span) : YNode(Span)
{
    /// <summary>A plain empty scalar is YAML's null (`key:` with nothing after it).</summary>
    public bool IsNull => !Quoted && (Value.Length == 0 || Value is "~" or "null");

    public override string Describe() => IsNull ? "nothing" : $"'{Value}'";
}

internal sealed record YSequence(IReadOnlyList<YNode> Items, SourceSpan Span) : YNode(Span)
{
    public override string Describe() => "a list";
}

internal sealed record YMapping(IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries, SourceSpan Span) : YNode(Span)
{
    public override string Describe() => "a mapping";
}

/// <summary>
/// Reads YAML text into <see cref="YNode"/>s. The representation model is built here rather than taken
/// from YamlDotNet's own so that duplicate keys, non-scalar keys and tabs get their own precise messages,
/// and every YamlDotNet exception becomes an <see cref="InputException"/> at the position it reports.
/// </summary>
internal static class YamlTree
{
    public static YNode Read(string text, string file)
    {
        // A byte-order mark is allowed before a YAML stream and is not part of line 1's columns.
        if (text.StartsWith('\uFEFF')) text = text[1..];
        CheckTabs(text, file);
        var events = new EventCursor(Scan(text, file));
        events.Consume<StreamStart>(file);
        if (events.TryConsume<StreamEnd>(out _))
            throw new InputException(new SourceSpan(file, 1, 1), "the file is empty; a scenario starts with 'schema: dmasim/v1'");
        events.Consume<DocumentStart>(file);
        var root = ReadNode(events, file, new Dictionary<string, YNode>(StringComparer.Ordinal), 0);
        events.Consume<DocumentEnd>(file);
        if (events.TryConsume<DocumentStart>(out var second))
            throw new InputException(At(file, second.Start), "a second YAML document; a scenario file holds exactly one");
        return root;
    }

    /// <summary>
    /// All of YamlDotNet's work happens here, so only its exceptions are turned into input errors: its
    /// own <see cref="YamlException"/> at the position it names, and anything else its scanner throws on
    /// malformed text (seen: InvalidOperationException on "type: usable -" inside a flow mapping) at
    /// the scanner's position.
    /// </summary>
    private static List<ParsingEvent> Scan(string text, string file)
    {
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        var events = new List<ParsingEvent>();
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                // Nesting is refused as the scanner reaches it: YamlDotNet's cost per token grows with
                // the flow depth, so 200 KB of '[' would otherwise take minutes before ReadNode sees it.
                // The root node is level 0 for ReadNode, and level 1 here.
                if (e is SequenceStart or MappingStart && ++depth > MaxDepth + 1)
                    throw new InputException(At(file, e.Start), $"nested more than {MaxDepth} levels deep; a scenario needs a handful");
                if (e is SequenceEnd or MappingEnd) depth--;
                events.Add(e);
            }
            return events;
        }
        catch (YamlException e)
        {
            throw new InputException(At(file, e.Start), StripPosition(e.Message));
        }
        catch (Exception e) when (e is not (InputException or OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Any other exception out of a third-party parser on text it rejects is still bad input.
            throw new InputException(At(file, scanner.CurrentPosition), "YAML syntax: the scanner stopped here on malformed text");
        }
    }

    /// <summary>Far deeper than any scenario nests (5 levels), shallow enough that recursion cannot exhaust the stack.</summary>
    private const int MaxDepth = 64;

    private static YNode ReadNode(EventCursor events, string file, Dictionary<string, YNode> anchors, int depth)
    {
        if (depth > MaxDepth)
            throw new InputException(events.Position(file), $"nested more than {MaxDepth} levels deep; a scenario needs a handful");
        YNode node;
        AnchorName anchor;
        if (events.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new InputException(At(file, alias.Start), $"alias '*{alias.Value.Value}' names no anchor defined before it");
        }
        if (events.TryConsume<Scalar>(out var scalar))
        {
            node = new YScalar(scalar.Value, scalar.Style is not ScalarStyle.Plain, At(file, scalar.Start));
            anchor = scalar.Anchor;
        }
        else if (events.TryConsume<SequenceStart>(out var seqStart))
        {
            var items = new List<YNode>();
            while (!events.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode(events, file, anchors, depth + 1));
            node = new YSequence(items, At(file, seqStart.Start));
            anchor = seqStart.Anchor;
        }
        else
        {
            var mapStart = events.Consume<MappingStart>(file);
            var entries = new List<KeyValuePair<YScalar, YNode>>();
            var seen = new Dictionary<string, YScalar>(StringComparer.Ordinal);
            while (!events.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(events, file, anchors, depth + 1);
                if (keyNode is not YScalar key)
                    throw new InputException(keyNode.Span, $"a mapping key must be a word, not {keyNode.Describe()}");
                if (seen.TryGetValue(key.Value, out var first))
                    throw new InputException(key.Span, $"duplicate key '{key.Value}' (first at line {first.Span.Line})");
                seen.Add(key.Value, key);
                entries.Add(new(key, ReadNode(events, file, anchors, depth + 1)));
            }
            node = new YMapping(entries, At(file, mapStart.Start));
            anchor = mapStart.Anchor;
        }
        if (!anchor.IsEmpty) anchors[anchor.Value] = node;
        return node;
    }

    /// <summary>
    /// YAML forbids tabs in indentation; YamlDotNet reports it as a generic scanner error, so name it
    /// plainly, at the tab itself.
    /// </summary>
    private static void CheckTabs(string text, string file)
    {
        var line = 1;
        var column = 1;
        var leading = true;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                line++;
                column = 1;
                leading = true;
                continue;
            }
            if (c == '\t' && leading)
                throw new InputException(new SourceSpan(file, line, column), "tab character in indentation; YAML indents with spaces");
            if (c != ' ' && c != '\r') leading = false;
            column++;
        }
    }

    private static SourceSpan At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    /// <summary>YamlDotNet may prefix "(Line: l, Col: c, Idx: i) - (…): "; the position is already in the span.</summary>
    private static string StripPosition(string message)
    {
        var rest = message;
        if (rest.StartsWith("(Line:", StringComparison.Ordinal))
        {
            var cut = rest.IndexOf("): ", StringComparison.Ordinal);
            var second = cut < 0 ? -1 : rest.IndexOf("): ", cut + 3, StringComparison.Ordinal);
            rest = second >= 0 ? rest[(second + 3)..] : cut >= 0 ? rest[(cut + 3)..] : rest;
        }
        return "YAML syntax: " + rest;
    }

    /// <summary>Walks the scanned events the way YamlDotNet's IParser extensions would.</summary>
    private sealed class EventCursor(List<ParsingEvent> events)
    {
        private int _next;

        public bool TryConsume<T>(out T found) where T : ParsingEvent
        {
            if (_next < events.Count && events[_next] is T e)
            {
                _next++;
                found = e;
                return true;
            }
            found = null!;
            return false;
        }

        /// <summary>Where the next event starts.</summary>
        public SourceSpan Position(string file) => At(file, events[Math.Min(_next, events.Count - 1)].Start);

        /// <summary>
        /// The next event, which must be a <typeparamref name="T"/>. YamlDotNet's parser lets some malformed
        /// text through with a broken event order (seen: a ':' alone on the last line gives a key with no
        /// value event), so a wrong event here is bad input at its place, not a bug.
        /// </summary>
        public T Consume<T>(string file) where T : ParsingEvent =>
            TryConsume<T>(out var e) ? e : throw new InputException(Position(file), $"YAML syntax: {Describe(events.ElementAtOrDefault(_next))} where a value was expected");

        private static string Describe(ParsingEvent? e) => e switch
        {
            null or StreamEnd or DocumentEnd => "the end of the text",
            MappingEnd => "the end of a mapping",
            SequenceEnd => "the end of a list",
            _ => "a malformed node",
        };
    }
}
