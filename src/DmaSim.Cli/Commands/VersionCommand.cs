using System.CommandLine;

namespace DmaSim.Cli.Commands;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("about", "Print what this build models.");
        command.SetAction(_ =>
        {
            Console.WriteLine("dmasim: Linux DMA API + Intel VT-d simulator (scenario schema dmasim/v1, result schema dmasim-result/v1)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
