using System.CommandLine;

namespace DmaSim.Cli.Docs;

/// <summary>
/// A flat view of the command tree (every command path with its options, their aliases and fixed values) that
/// the completion scripts and the man page are generated from, so neither can drift from the parser.
/// </summary>
internal sealed record CommandNode(string Path, string Description, IReadOnlyList<OptionNode> Options, IReadOnlyList<string> Subcommands, IReadOnlyList<string> Arguments)
{
    public static IReadOnlyList<CommandNode> Walk(Command root)
    {
        var nodes = new List<CommandNode>();
        Visit(root, root.Name, nodes);
        return nodes;
    }

    private static void Visit(Command command, string path, List<CommandNode> nodes)
    {
        var subcommands = command.Subcommands.Where(c => !c.Hidden).ToList();
        nodes.Add(new CommandNode(
            path,
            command.Description ?? "",
            [.. command.Options.Where(o => !o.Hidden).Select(OptionNode.Of)],
            [.. subcommands.Select(c => c.Name)],
            [.. command.Arguments.Where(a => !a.Hidden).Select(a => a.Arity.MaximumNumberOfValues > 1 ? a.Name + "..." : a.Name)]));
        foreach (var sub in subcommands) Visit(sub, path + " " + sub.Name, nodes);
    }
}

/// <summary>One option: its names (long name first), description, and the values it accepts when they are a fixed list.</summary>
internal sealed record OptionNode(IReadOnlyList<string> Names, string Description, IReadOnlyList<string> Values, bool TakesValue, string? HelpName)
{
    public static OptionNode Of(Option option)
    {
        // Only POSIX-style names: "-?", "/?" and "/h" (System.CommandLine's help aliases) are globs to a shell.
        var names = new[] { option.Name }.Concat(option.Aliases.Order(StringComparer.Ordinal)).Distinct()
            .Where(n => n.StartsWith('-') && n.Skip(1).All(c => c == '-' || char.IsAsciiLetterOrDigit(c))).ToList();
        var values = option.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty)
            .Select(c => c.Label).ToList();
        var takesValue = option.ValueType != typeof(bool) && option is not System.CommandLine.Help.HelpOption and not VersionOption;
        return new OptionNode(names, option.Description ?? "", values, takesValue, option.HelpName);
    }
}
