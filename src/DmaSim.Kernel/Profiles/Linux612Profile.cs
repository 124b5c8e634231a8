using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>The 6.12 LTS line.</summary>
[ProfileDefinition]
internal static class Linux612Profile
{
    public static KernelProfile Profile { get; } = Linux66Profile.Profile with
    {
        Name = ProfileNames.Linux612,
        Summary = "6.12 LTS: no modelled decision differs from 6.6 (IOVA allocator as recorded from 6.12's iova.c in samples/iova-traces)",
        DefaultRelease = new("6.12.0", "linux-6.12: the 6.12 wording"),
    };
}
