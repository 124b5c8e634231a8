using System.Diagnostics;
using DmaSim.Testing;

namespace DmaSim.Cli.Tests;

/// <summary>`dmasim completion` scripts work in a real bash, and docs/dmasim.1 is what the command tree generates.</summary>
public sealed class CompletionAndManTests
{
    [Fact]
    public void Bash_script_completes_subcommands_options_and_fixed_values()
    {
        var script = Dmasim.Run("completion", "bash");
        Assert.Equal(0, script.ExitCode);
        var path = Path.Combine(Path.GetTempPath(), $"dmasim-completion-{Environment.ProcessId}.bash");
        File.WriteAllText(path, script.Stdout);
        try
        {
            Assert.Equal("run", Complete(path, "dmasim ru").Trim());
            Assert.Contains("--format", Complete(path, "dmasim run --fo"), StringComparison.Ordinal);
            Assert.Equal("json text", string.Join(' ', Complete(path, "dmasim run --format ").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)));
            Assert.Contains("decode", Complete(path, "dmasim dmar "), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Zsh_and_fish_scripts_name_every_subcommand()
    {
        foreach (var shell in new[] { "zsh", "fish" })
        {
            var r = Dmasim.Run("completion", shell);
            Assert.Equal(0, r.ExitCode);
            foreach (var sub in new[] { "run", "dmar", "import", "iova", "bench", "completion" })
                Assert.Contains(sub, r.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Checked_in_man_page_equals_the_generated_one()
    {
        var r = Dmasim.Run("manpage");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(".TH DMASIM 1", r.Stdout, StringComparison.Ordinal);
        var checkedIn = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "docs", "dmasim.1"));
        Assert.True(checkedIn == r.Stdout, "docs/dmasim.1 is stale: regenerate with `dotnet run --project src/DmaSim.Cli -- manpage > docs/dmasim.1`");
    }

    /// <summary>Runs the completion function in bash as readline would for the words typed so far.</summary>
    private static string Complete(string script, string line)
    {
        var words = line.Split(' ');
        var array = string.Join(' ', words.Select(w => $"'{w}'"));
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"source '{script}'; COMP_WORDS=({array}); COMP_CWORD={words.Length - 1}; _dmasim; printf '%s\\n' \"${{COMPREPLY[@]}}\"");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error);
        return output;
    }
}
