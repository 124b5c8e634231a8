using System.CommandLine;

namespace DmaSim.Cli.Tests;

/// <summary>
/// Each invocation builds its own command tree. A symbol shared between trees remembers every command it was
/// added to, so in-process runs (tests, the fuzz harness, sweeps) would keep every tree alive: the shared
/// --timeout option grew the fuzz campaign's live heap by 30 KB a command line, past 1 GiB.
/// </summary>
public sealed class CommandTreeTests
{
    private static IEnumerable<Symbol> Symbols(Command c) =>
        c.Options.Cast<Symbol>().Concat(c.Arguments).Concat(c.Subcommands.SelectMany(s => Symbols(s).Prepend(s)));

    [Fact]
    public void Two_command_trees_share_no_option_argument_or_command()
    {
        var first = Symbols(CliEntry.BuildRoot()).ToHashSet(ReferenceEqualityComparer.Instance);
        var second = Symbols(CliEntry.BuildRoot()).ToList();
        Assert.True(second.Count > 50, $"{second.Count} symbols");
        Assert.DoesNotContain(second, s => first.Contains(s));
        Assert.All(second, s => Assert.True(s.Parents.Count() <= 1, $"{s.Name} has {s.Parents.Count()} parents"));
    }
}
