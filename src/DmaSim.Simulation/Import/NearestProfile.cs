using DmaSim.Core;
using DmaSim.Kernel.Boot;

namespace DmaSim.Simulation.Import;

/// <summary>
/// The policy profile closest to a kernel release (docs/real-machines.md, "Nearest profile"). Profiles stand
/// for policy eras, so a release maps to the last profile whose decisions it shares:
/// <list type="bullet">
/// <item>&lt; 2.6.32-rc5 → linux-2.6.31 (swiotlb ops for pass-through, 4ed0d3e6c64c).</item>
/// <item>2.6.32-rc5 … 2.6.32-rc8 → linux-2.6.32-rc5 (19943b0e merged, the fix not yet).</item>
/// <item>2.6.32.x → linux-2.6.32.</item>
/// <item>2.6.33 … 2.6.38 → linux-2.6.33 (swiotlb fallback, 75f1cdf1dda9).</item>
/// <item>2.6.39 … 4.18 → linux-3.0 (mask-aware identity).</item>
/// <item>4.19 … 5.2 → linux-4.19 (the driver keeps its own domains until 5.3).</item>
/// <item>5.3 … 5.9 → linux-5.4 (5.3 brought the default domains and private domains 5.4 has; 4.19 has neither).</item>
/// <item>Then the LTS line at or below the release: 5.10, 5.15, 6.1, 6.6, 6.12.</item>
/// </list>
/// </summary>
public static class NearestProfile
{
    public static string For(string? release, out string why)
    {
        if (!KernelVersion.TryParse(release, out var v))
        {
            why = "no \"Linux version\" line: the modern profile, log wording from the DMAR lines' prefix";
            return ProfileNames.Linux61;
        }
        var rc = RcNumber(release!);
        string profile;
        if (v < new KernelVersion(2, 6, 32) || (v == new KernelVersion(2, 6, 32) && rc is < 5)) profile = ProfileNames.Linux2631;
        else if (v == new KernelVersion(2, 6, 32) && rc is not null) profile = ProfileNames.Linux2632Rc5;
        else if (v < new KernelVersion(2, 6, 33)) profile = ProfileNames.Linux2632;
        else if (v < new KernelVersion(2, 6, 39)) profile = ProfileNames.Linux2633;
        else if (v < new KernelVersion(4, 19, 0)) profile = ProfileNames.Linux30;
        else if (v < new KernelVersion(5, 3, 0)) profile = ProfileNames.Linux419;
        else if (v < new KernelVersion(5, 10, 0)) profile = ProfileNames.Linux54;
        else if (v < new KernelVersion(5, 15, 0)) profile = ProfileNames.Linux510;
        else if (v < new KernelVersion(6, 1, 0)) profile = ProfileNames.Linux515;
        else if (v < new KernelVersion(6, 6, 0)) profile = ProfileNames.Linux61;
        else if (v < new KernelVersion(6, 12, 0)) profile = ProfileNames.Linux66;
        else profile = ProfileNames.Linux612;
        why = $"{release} → {profile} (docs/real-machines.md, nearest profile)";
        return profile;
    }

    private static int? RcNumber(string release)
    {
        var i = release.IndexOf("-rc", StringComparison.Ordinal);
        if (i < 0) return null;
        var digits = new string(release[(i + 3)..].TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? null : int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }
}
