
namespace DmaSim.Cli;

internal static class Program
{
    private static int Main(string[] args) => CliEntry.Run(args, Console.Out, Console.Error);
}
