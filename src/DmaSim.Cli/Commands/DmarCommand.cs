using System.CommandLine;
using DmaSim.Hardware.Acpi;
using DmaSim.Reporting.Firmware;
using DmaSim.Simulation.Firmware;

namespace DmaSim.Cli.Commands;

/// <summary>
/// <c>dmasim dmar decode FILE...</c> and <c>dmasim dmar lint FILE... [--e820 FILE] [--dmesg FILE]</c>: wiring only;
/// the codec lives in DmaSim.Hardware.Acpi, the lint (what Linux does with a table) in DmaSim.Simulation.Firmware,
/// both output forms in DmaSim.Reporting.Firmware. Bad input surfaces as an
/// InputException, which Program turns into exit 2 with the byte-offset message.
/// </summary>
internal static class DmarCommand
{
    public static Command Create()
    {
        var command = new Command("dmar", "Decode and check ACPI DMAR tables (raw bytes or acpidump text).");
        command.Subcommands.Add(Decode());
        command.Subcommands.Add(Lint());
        command.Subcommands.Add(Summary());
        return command;
    }

    private static Command Summary()
    {
        var files = FilesArgument();
        var dmesg = new Option<string?>("--dmesg") { HelpName = "FILE", Description = "kernel log of the same machine: units' CAP/ECAP and devices' classes make the summary definite" };
        var command = new Command("summary", "One screen: what the table's units cover, the RMRRs and the devices they pin, what each era of Linux does with it, firmware bugs.");
        command.Arguments.Add(files);
        command.Options.Add(dmesg);
        command.SetAction(parse =>
        {
            var context = DmarLintContext.FromFiles(null, parse.GetValue(dmesg));
            var paths = parse.GetValue(files) ?? [];
            foreach (var path in paths)
            {
                if (path != paths[0]) Console.Out.WriteLine();
                Console.Out.Write(DmaSim.Simulation.Firmware.DmarSummary.Text(path, DmarCodec.Load(path), context));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<string> FormatOption()
    {
        var format = new Option<string>("--format") { Description = "text (iasl vocabulary) or json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        return format;
    }

    private static Argument<string[]> FilesArgument() =>
        new("FILE") { Description = "DMAR table: raw bytes (.dat), acpidump text, or iasl output with its raw dump", HelpName = "FILE", Arity = ArgumentArity.OneOrMore };

    private static Command Decode()
    {
        var files = FilesArgument();
        var format = FormatOption();
        var command = new Command("decode", "Print every field of the tables, as iasl -d names them, or as JSON.");
        command.Arguments.Add(files);
        command.Options.Add(format);
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files) ?? [];
            var tables = paths.Select(p => (p, DmarCodec.Load(p))).ToList();
            if (parse.GetValue(format) == "json")
            {
                Console.Out.WriteLine(DmarJson.Serialize(tables));
                return ExitCodes.Ok;
            }
            foreach (var (path, table) in tables)
            {
                if (tables.Count > 1) Console.Out.WriteLine($"/* {path} */");
                Console.Out.Write(DmarText.Format(table));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Lint()
    {
        var files = FilesArgument();
        var format = FormatOption();
        var e820 = new Option<string?>("--e820") { HelpName = "FILE", Description = "e820 map: \"start end type\" lines, or the kernel's BIOS-e820 lines" };
        var dmesg = new Option<string?>("--dmesg") { HelpName = "FILE", Description = "kernel log of the same machine (BIOS-e820 map, PCI devices, unit CAP/ECAP)" };
        var command = new Command("lint", "Report the firmware bugs Linux complains about; exit 1 if any is error-class.");
        command.Arguments.Add(files);
        command.Options.Add(format);
        command.Options.Add(e820);
        command.Options.Add(dmesg);
        command.SetAction(parse =>
        {
            var context = DmarLintContext.FromFiles(parse.GetValue(e820), parse.GetValue(dmesg));
            var results = (parse.GetValue(files) ?? [])
                .Select(p => (p, DmarLint.Run(DmarCodec.Load(p), context)))
                .ToList();
            if (parse.GetValue(format) == "json")
                Console.Out.WriteLine(DmarLintReport.Json(results));
            else
                foreach (var (path, findings) in results) Console.Out.Write(DmarLintReport.Text(path, findings));
            return results.Any(r => DmarLint.HasErrors(r.Item2)) ? ExitCodes.ExpectationFailed : ExitCodes.Ok;
        });
        return command;
    }
}
