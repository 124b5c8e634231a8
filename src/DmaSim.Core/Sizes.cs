using System.Globalization;

namespace DmaSim.Core;

/// <summary>Human sizes the way the kernel and the scenario format write them.</summary>
public static class Sizes
{
    public const ulong KiB = 1UL << 10, MiB = 1UL << 20, GiB = 1UL << 30, TiB = 1UL << 40;

    public static string Format(ulong bytes) => bytes switch
    {
        0 => "0",
        _ when bytes % TiB == 0 => (bytes / TiB).ToString(CultureInfo.InvariantCulture) + "TiB",
        _ when bytes % GiB == 0 => (bytes / GiB).ToString(CultureInfo.InvariantCulture) + "GiB",
        _ when bytes % MiB == 0 => (bytes / MiB).ToString(CultureInfo.InvariantCulture) + "MiB",
        _ when bytes % KiB == 0 => (bytes / KiB).ToString(CultureInfo.InvariantCulture) + "KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };
}
