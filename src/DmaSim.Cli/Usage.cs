using System.CommandLine;
using System.CommandLine.Parsing;
using DmaSim.Core;

namespace DmaSim.Cli;

/// <summary>
/// Usage errors (System.CommandLine's parse errors and our own checks) in the tool's one wording,
/// "dmasim: error: --option: problem", and exit 2 — exit 1 means "an expectation broke".
/// </summary>
internal static class Usage
{
    /// <summary>
    /// An unknown option such as `--frmat` would otherwise be taken as a file name by a command that
    /// takes files; every argument of every command refuses tokens that look like options.
    /// </summary>
    public static void RefuseOptionsAsFiles(Command command)
    {
        foreach (var argument in command.Arguments)
            argument.Validators.Add(result => RefuseOptionTokens(result, command));
        foreach (var sub in command.Subcommands) RefuseOptionsAsFiles(sub);
    }

    private static void RefuseOptionTokens(ArgumentResult result, Command command)
    {
        foreach (var token in result.Tokens)
        {
            var text = token.Value;
            if (text.Length < 2 || text[0] != '-') continue;
            // Two-letter aliases are all one edit apart, so only long options get a "did you mean".
            var hint = text.StartsWith("--", StringComparison.Ordinal) ? Spelling.Suggest(text, OptionNames(command).Where(n => n.Length > 2)) : null;
            result.AddError(hint is null
                ? $"{text}: unknown option of '{command.Name}' (a file name starting with '-' can be written ./{text})"
                : $"{text}: unknown option of '{command.Name}' (did you mean '{hint}'?)");
        }
    }

    private static IEnumerable<string> OptionNames(Command command)
    {
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            foreach (var o in c.Options)
            {
                yield return o.Name;
                foreach (var alias in o.Aliases) yield return alias;
            }
    }

    /// <summary>Prints every parse error in the tool's wording and a pointer to --help; returns exit 2.</summary>
    public static int Report(ParseResult parse, TextWriter stderr)
    {
        foreach (var error in parse.Errors)
            stderr.WriteLine(Format(error));
        var path = string.Join(' ', CommandPath(parse.CommandResult));
        stderr.WriteLine($"Try '{path} --help' for more information.");
        return ExitCodes.BadInput;
    }

    private static string Format(ParseError error)
    {
        var message = Flatten(error.Message);
        // Our own validators already start with the option they are about.
        if (message.StartsWith('-')) return $"dmasim: error: {message}";
        return Owner(error.SymbolResult) is { } option
            ? $"dmasim: error: {option}: {message}"
            : $"dmasim: error: {message}";
    }

    /// <summary>The option a parse error is about, if any (an option's argument reports on its option).</summary>
    private static string? Owner(SymbolResult? result) => result switch
    {
        OptionResult o => o.Option.Name,
        ArgumentResult { Parent: OptionResult o } => o.Option.Name,
        _ => null,
    };

    /// <summary>One line: System.CommandLine lists allowed values on tab-indented lines.</summary>
    private static string Flatten(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 1) return lines[0];
        return lines[0] + " " + string.Join(", ", lines.Skip(1));
    }

    private static Stack<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
            names.Push(c.Parent is null ? "dmasim" : c.Command.Name);
        return names;
    }
}
