using System.CommandLine;
using System.Globalization;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Cli.Commands;

/// <summary>`dmasim iova replay TRACE...`: checks the IOVA allocator against traces recorded from Linux; `dmasim iova bench` times it.</summary>
internal static class IovaCommand
{
    public static Command Create()
    {
        var traces = new Argument<string[]>("traces")
        {
            Description = "IOVA traces (.csv or .csv.gz) recorded from Linux's drivers/iommu/iova.c",
            Arity = ArgumentArity.OneOrMore,
        };
        var replay = new Command("replay", "Replay recorded IOVA allocator traces; exit 1 at the first answer that differs.") { traces };
        replay.SetAction(parse => Replay(parse.GetValue(traces) ?? []));
        return new Command("iova", "The IOVA allocator (Linux drivers/iommu/iova.c).") { replay, IovaBenchCommand.Create() };
    }

    private static int Replay(string[] files)
    {
        var exit = ExitCodes.Ok;
        foreach (var file in files)
        {
            var result = IovaTraceReplayer.Replay(file);
            var counts = string.Create(CultureInfo.InvariantCulture,
                $"{result.Kind.ToString().ToLowerInvariant()} trace, {result.Lines} lines, {result.Allocations} allocations ({result.Failures} failed as recorded), {result.Frees} frees");
            if (result.FirstMismatch is { } m)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{file}:{m.Line}: MISMATCH: expected {m.Expected}, got {m.Actual} ({counts} up to there)"));
                exit = ExitCodes.ExpectationFailed;
            }
            else
            {
                Console.WriteLine($"{file}: ok, every answer equals the recorded one: {counts}");
            }
        }
        return exit;
    }
}
