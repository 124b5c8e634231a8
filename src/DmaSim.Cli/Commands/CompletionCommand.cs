using System.CommandLine;
using DmaSim.Cli.Docs;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim completion bash|zsh|fish</c> prints a completion script; a hidden <c>dmasim manpage</c> prints
/// dmasim(1) (docs/dmasim.1). Both are generated from the root command handed in, so they follow the parser.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create(Func<RootCommand> root)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(CompletionScripts.Shells);
        var command = new Command("completion", "Print a shell completion script: source <(dmasim completion bash).") { shell };
        command.SetAction(parse =>
        {
            Console.Out.Write(CompletionScripts.For(parse.GetValue(shell)!, CommandNode.Walk(root())));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command CreateManPage(Func<RootCommand> root)
    {
        var command = new Command("manpage", "Print the dmasim(1) manual page (troff).") { Hidden = true };
        command.SetAction(_ =>
        {
            Console.Out.Write(ManPage.Render(CommandNode.Walk(root()), Version));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Major.minor.patch of the tool, without the source revision, so the man page is stable.</summary>
    public static string Version => typeof(CompletionCommand).Assembly.GetName().Version?.ToString(3) ?? "0";
}
