using System.CommandLine;
using System.Reflection;
using DmaSim.Cli.Commands;
using DmaSim.Core;

namespace DmaSim.Cli;

/// <summary>
/// The composition root: parses, runs, and turns every failure into the exit-code contract — 2 with
/// "FILE:LINE:COL: error: …" or "dmasim: error: --option: …" for bad input and usage, 70 with the real
/// exception for a bug. Callable in-process (the fuzz tests drive it without a process per case).
/// </summary>
public static class CliEntry
{
    /// <summary>The whole command tree (completion scripts and dmasim(1) come from it), with the checks every command shares (<see cref="Usage"/>).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("DmaSim: the path of a DMA on Linux x86 with Intel VT-d, kernel view against physical truth.");
        foreach (var command in CommandTable.All()) root.Subcommands.Add(command);
        // Completion scripts and the man page are generated from this same tree.
        root.Subcommands.Add(CompletionCommand.Create(BuildRoot));
        root.Subcommands.Add(CompletionCommand.CreateManPage(BuildRoot));
        root.Options.Add(RunLimits.CreateTimeout());
        Usage.RefuseOptionsAsFiles(root);
        return root;
    }

    /// <summary>Runs one command line; <paramref name="stderr"/> receives every error message.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            var parse = BuildRoot().Parse(args);
            if (parse.Errors.Count > 0) return Usage.Report(parse, stderr);
            using var watchdog = RunLimits.StartWatchdog(parse, stderr);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (Exception e) when (Unwrap(e) is InputException input)
        {
            stderr.WriteLine(input.Message);
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (Unwrap(e) is OutOfMemoryException)
        {
            stderr.WriteLine($"dmasim: error: out of memory: {RunLimits.MemoryBudgetText()}; the input asks for more than that (docs/limits.md)");
            return ExitCodes.BadInput;
        }
#pragma warning disable CA1031 // The composition root turns any other failure into exit 70, never a bare trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ReportInternalError(Unwrap(e), args, stderr);
            return ExitCodes.InternalError;
        }
    }

    /// <summary>
    /// The exception that matters: a parallel run or a reflection call wraps the real one, whose type,
    /// message and stack are what a bug report needs.
    /// </summary>
    public static Exception Unwrap(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: > 0 } a:
                    e = a.InnerExceptions[0];
                    break;
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    break;
                default:
                    return e;
            }
        }
    }

    private static void ReportInternalError(Exception e, string[] args, TextWriter stderr) => stderr.Write(InternalErrorText(e, args));

    /// <summary>What exit 70 prints: the real exception's type, message and stack, and how to report it.</summary>
    internal static string InternalErrorText(Exception e, string[] args)
    {
        var inner = Unwrap(e);
        var text = new System.Text.StringBuilder();
        text.AppendLine($"dmasim: internal error: {inner.GetType().FullName}: {inner.Message}");
        // ToString() carries the stack and every inner exception with its own stack.
        text.AppendLine(inner.ToString());
        text.AppendLine("dmasim: this is a bug in DmaSim, not in your input. Please report it with the command line");
        text.AppendLine($"dmasim: (dmasim {string.Join(' ', args)}) and every input file it names.");
        return text.ToString();
    }
}
