namespace DmaSim.Testing;

/// <summary>Finds the repository root and its samples/ folder (real tables, logs, traces; see samples/README.md), wherever tests run from.</summary>
internal static class SharedData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DataDir => Path.Combine(RepoRoot, "samples");

    public static string Path_(params string[] parts) => Path.Combine([DataDir, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DmaSim.slnx"))) return dir.FullName;
        throw new InvalidOperationException("DmaSim.slnx not found above " + AppContext.BaseDirectory);
    }
}
