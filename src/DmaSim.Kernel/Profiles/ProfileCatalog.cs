using System.Collections.Frozen;
using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>
/// The contract profiles, in the order of <see cref="ProfileNames.All"/>. Each profile lives in its own file
/// (a static class marked <see cref="ProfileDefinitionAttribute"/>) as its predecessor plus the changes that
/// era made, so the list of differences is the history. The catalog lists those classes by name rather than
/// finding them by reflection, so a trimmed Native AOT build keeps them (docs/performance.md, "Native AOT"):
/// adding a profile is one new file plus its line in ProfileNames and its line in <see cref="Definitions"/>
/// (docs/architecture.md, "How to add … an era"); ProfileCatalogTests fails on a marked class left out.
/// </summary>
public static class ProfileCatalog
{
    private static readonly FrozenDictionary<string, KernelProfile> _defined = Defined();

    public static IReadOnlyList<KernelProfile> All { get; } = [.. ProfileNames.All.Select(Get)];

    public static KernelProfile Linux2631 => Get(ProfileNames.Linux2631);
    public static KernelProfile Linux2632Rc5 => Get(ProfileNames.Linux2632Rc5);
    public static KernelProfile Linux2632Rc5Alex => Get(ProfileNames.Linux2632Rc5Alex);
    public static KernelProfile Linux2632Rc5Dwmw2 => Get(ProfileNames.Linux2632Rc5Dwmw2);
    public static KernelProfile Linux2632 => Get(ProfileNames.Linux2632);
    public static KernelProfile Linux2632Stable => Get(ProfileNames.Linux263207);
    public static KernelProfile Linux2633 => Get(ProfileNames.Linux2633);
    public static KernelProfile Linux30 => Get(ProfileNames.Linux30);
    public static KernelProfile Linux419 => Get(ProfileNames.Linux419);
    public static KernelProfile Linux54 => Get(ProfileNames.Linux54);
    public static KernelProfile Linux510 => Get(ProfileNames.Linux510);
    public static KernelProfile Linux515 => Get(ProfileNames.Linux515);
    public static KernelProfile Linux61 => Get(ProfileNames.Linux61);
    public static KernelProfile Linux66 => Get(ProfileNames.Linux66);
    public static KernelProfile Linux612 => Get(ProfileNames.Linux612);

    public static KernelProfile? Find(string name) => _defined.GetValueOrDefault(name);

    private static KernelProfile Get(string name) =>
        Find(name) ?? throw new InvalidOperationException($"profile '{name}' is in ProfileNames but no file under Profiles/ defines it");

    /// <summary>Every class marked [ProfileDefinition], in any order (ProfileNames.All orders them).</summary>
    internal static IReadOnlyList<KernelProfile> Definitions() =>
    [
        Linux2631Profile.Profile,
        Linux2632Rc5Profile.Profile,
        Linux2632Rc5AlexProfile.Profile,
        Linux2632Rc5Dwmw2Profile.Profile,
        Linux2632Profile.Profile,
        Linux263207Profile.Profile,
        Linux2633Profile.Profile,
        Linux30Profile.Profile,
        Linux419Profile.Profile,
        Linux54Profile.Profile,
        Linux510Profile.Profile,
        Linux515Profile.Profile,
        Linux61Profile.Profile,
        Linux66Profile.Profile,
        Linux612Profile.Profile,
    ];

    private static FrozenDictionary<string, KernelProfile> Defined()
    {
        var profiles = Definitions();
        var unlisted = profiles.Select(p => p.Name).Where(n => !ProfileNames.IsKnown(n)).ToList();
        if (unlisted.Count > 0) throw new InvalidOperationException($"profiles defined but missing from ProfileNames: {string.Join(", ", unlisted)}");
        return profiles.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
    }
}
