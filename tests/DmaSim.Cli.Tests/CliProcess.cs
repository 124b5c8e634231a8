using System.Diagnostics;

namespace DmaSim.Cli.Tests;

/// <summary>Runs the built dmasim.dll with `dotnet`, as a user would, and returns exit code and output.</summary>
internal static class CliProcess
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var dll = typeof(ExitCodes).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "dmasim did not finish");
        return (p.ExitCode, stdout.Result, stderr);
    }
}
