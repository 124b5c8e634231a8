using System.CommandLine;
using DmaSim.Simulation.Import;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim import --dmesg FILE [--dmar FILE] [--lspci FILE] [-o FILE]</c>: wiring only; the log reader and the scenario
/// writer live in DmaSim.Simulation.Import. Bad input surfaces as an InputException (exit 2, FILE:LINE:COL).
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var dmesg = new Option<string>("--dmesg") { Description = "Kernel log of the machine (dmesg, from boot).", Required = true };
        var dmar = new Option<string?>("--dmar") { Description = "Its DMAR table: /sys/firmware/acpi/tables/DMAR bytes or acpidump text." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the scenario here (default: standard output)." };
        var lspci = new Option<string?>("--lspci") { Description = "`lspci -vvv` (or -nnvvv) of the same machine: PCIe port types and ACS." };
        var command = new Command("import", "Write a scenario that reproduces a real machine from its kernel log (and DMAR table).") { dmesg, dmar, output, lspci };
        command.SetAction(parse =>
        {
            var options = new ImportOptions(parse.GetValue(dmesg)!, parse.GetValue(dmar), parse.GetValue(output), parse.GetValue(lspci));
            var (yaml, warnings) = ScenarioImporter.ImportWithWarnings(options);
            foreach (var w in warnings) Console.Error.WriteLine(w);
            if (options.OutputPath is { } path) OutputFile.Write(path, yaml, "--output");
            else Console.Out.Write(yaml);
            return ExitCodes.Ok;
        });
        return command;
    }
}
