using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DmaSim.Cli.Commands;

/// <summary>
/// Progress of long work on standard error (cells done/total, rate, ETA) so standard output stays
/// machine output; nothing at all with --quiet.
/// </summary>
internal static class SweepProgress
{
    public static T Run<T>(string what, int total, bool quiet, Func<Action, T> work)
    {
        if (quiet || total == 0) return work(() => { });
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new CountAndRateColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(what, maxValue: total);
                return work(() => task.Increment(1));
            });
    }

    /// <summary>"1234/5000 cells  2150/s".</summary>
    private sealed class CountAndRateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:0}/{task.MaxValue:0} {(task.Speed ?? 0):0}/s"));
    }
}
