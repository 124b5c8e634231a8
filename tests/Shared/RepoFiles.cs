namespace DmaSim.Testing;

/// <summary>Files of this repository that tests read, found from <see cref="SharedData.RepoRoot"/> (the one root finder).</summary>
internal static class RepoFiles
{
    /// <summary>scenarios/seed/NAME.yaml.</summary>
    public static string Seed(string name) => Path.Combine(SharedData.RepoRoot, "scenarios", "seed", name + ".yaml");
}
