using System.CommandLine;
using DmaSim.Cli.Commands;
using DmaSim.Core;

namespace DmaSim.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = CommandTable.Root();
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (InputException e)
        {
            Console.Error.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }
#pragma warning disable CA1031 // The composition root turns any other failure into exit 70, never a trace on stdout.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"dmasim: internal error: {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e.StackTrace);
            return ExitCodes.InternalError;
        }
    }
}
