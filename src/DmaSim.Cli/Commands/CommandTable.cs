using System.CommandLine;

namespace DmaSim.Cli.Commands;

/// <summary>Every subcommand, one class each; adding a command is one line here.</summary>
internal static class CommandTable
{
    /// <summary>The whole command tree; completion scripts and the man page are generated from it.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("DmaSim: the path of a DMA on Linux x86 with Intel VT-d, kernel view against physical truth.");
        foreach (var command in All()) root.Subcommands.Add(command);
        root.Subcommands.Add(CompletionCommand.Create(Root));
        root.Subcommands.Add(CompletionCommand.CreateManPage(Root));
        return root;
    }

    public static IEnumerable<Command> All()
    {
        yield return RunCommand.Create();
        yield return DmarCommand.Create();
        yield return IovaCommand.Create();
        yield return BenchCommand.Create();
        yield return VersionCommand.Create();
        yield return ImportCommand.Create();
    }
}
