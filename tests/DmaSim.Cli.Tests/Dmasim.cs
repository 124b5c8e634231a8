using System.Diagnostics;
using DmaSim.Testing;

namespace DmaSim.Cli.Tests;

/// <summary>Runs the built dmasim.dll in a child process and captures exit code, stdout and stderr.</summary>
internal static class Dmasim
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string SeedFile => RepoFiles.Seed("smartarray-passthrough");

    /// <summary>dmasim.dll next to the test assembly (the project reference copies it), else the CLI's own build output.</summary>
    private static string DllPath
    {
        get
        {
            var here = Path.Combine(AppContext.BaseDirectory, "dmasim.dll");
            if (File.Exists(here) && File.Exists(Path.Combine(AppContext.BaseDirectory, "dmasim.runtimeconfig.json"))) return here;
            var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/<Config>/net10.0/
            var built = Path.Combine(SharedData.RepoRoot, "src", "DmaSim.Cli", "bin", config, "net10.0", "dmasim.dll");
            return File.Exists(built) ? built : throw new FileNotFoundException("dmasim.dll not built", built);
        }
    }

    public static Result Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
