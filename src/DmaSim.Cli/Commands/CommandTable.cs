using System.CommandLine;

namespace DmaSim.Cli.Commands;

/// <summary>Every subcommand, one class each; adding a command is one line here.</summary>
internal static class CommandTable
{
    public static IEnumerable<Command> All()
    {
        yield return RunCommand.Create();
        yield return DmarCommand.Create();
        yield return IovaCommand.Create();
        yield return BenchCommand.Create();
        yield return VersionCommand.Create();
        yield return ImportCommand.Create();
        yield return SweepCommand.Create();
        yield return BisectCommand.Create();
    }
}
