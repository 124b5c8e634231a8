using DmaSim.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DmaSim.Cli.Tests;

/// <summary>
/// Kernel eras live in one place: model code outside src/DmaSim.Kernel/Profiles reads the profile's named
/// rules and never the era (`Profile.Era == Era.T0`, `IsModern`). Checked on the syntax of every source file.
/// </summary>
public class ArchitectureTests
{
    private static readonly string[] _eraWords = ["Era", "IsModern"];

    /// <summary>Every identifier that names the era, with file and line.</summary>
    internal static IEnumerable<string> EraReferences(string path, string text) =>
        CSharpSyntaxTree.ParseText(text, path: path).GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(id => _eraWords.Contains(id.Identifier.ValueText, StringComparer.Ordinal))
            .Select(id => $"{path}:{id.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {id.Parent}");

    private static IEnumerable<string> ModelSources()
    {
        var src = Path.Combine(SharedData.RepoRoot, "src");
        var profiles = Path.Combine(src, "DmaSim.Kernel", "Profiles") + Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(profiles, StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    [Fact]
    public void Model_code_outside_Profiles_never_branches_on_the_era()
    {
        var files = ModelSources().ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under src/");
        var hits = files.SelectMany(f => EraReferences(Path.GetRelativePath(SharedData.RepoRoot, f), File.ReadAllText(f))).ToList();
        Assert.True(hits.Count == 0, "era branches outside src/DmaSim.Kernel/Profiles (write a named rule on KernelProfile instead):\n" + string.Join('\n', hits));
    }

    [Fact]
    public void The_check_finds_an_era_branch_when_there_is_one()
    {
        const string code = """
            class C
            {
                int F(KernelProfile p) => p.IsModern ? 256 : 250;
                bool G(KernelProfile p) => p.Era == Era.T0;
                int H(KernelProfile p) => p.FlushQueue.Value == FlushQueue.PerDomainFlushQueue ? 256 : 250;
            }
            """;
        var hits = EraReferences("C.cs", code).ToList();
        Assert.Equal(["C.cs:3: p.IsModern", "C.cs:4: p.Era", "C.cs:4: Era.T0"], hits);
    }
}
