using System.Collections.Immutable;

namespace DmaSim.Core;

/// <summary>
/// The kernel policy profile names of the contract (DESIGN.md, "Policy profiles"), in report column order.
/// The one list every project uses: the scenario loader checks `expect: profile:` against it, the kernel's
/// ProfileCatalog orders its profiles by it (and fails to start when a name has no definition), the importer
/// picks from it. Adding a profile is one file under src/DmaSim.Kernel/Profiles/ plus its line here.
/// </summary>
public static class ProfileNames
{
    public const string Linux2631 = "linux-2.6.31";
    public const string Linux2632Rc5 = "linux-2.6.32-rc5";
    public const string Linux2632Rc5Alex = "linux-2.6.32-rc5+alex";
    public const string Linux2632Rc5Dwmw2 = "linux-2.6.32-rc5+dwmw2";
    public const string Linux2632 = "linux-2.6.32";
    public const string Linux263207 = "linux-2.6.32.7";
    public const string Linux2633 = "linux-2.6.33";
    public const string Linux30 = "linux-3.0";
    public const string Linux419 = "linux-4.19";
    public const string Linux54 = "linux-5.4";
    public const string Linux510 = "linux-5.10";
    public const string Linux515 = "linux-5.15";
    public const string Linux61 = "linux-6.1";
    public const string Linux66 = "linux-6.6";
    public const string Linux612 = "linux-6.12";

    public static ImmutableArray<string> All { get; } =
        [Linux2631, Linux2632Rc5, Linux2632Rc5Alex, Linux2632Rc5Dwmw2, Linux2632, Linux263207, Linux2633, Linux30,
         Linux419, Linux54, Linux510, Linux515, Linux61, Linux66, Linux612];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);
}
