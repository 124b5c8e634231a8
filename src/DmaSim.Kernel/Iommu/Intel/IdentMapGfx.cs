using DmaSim.Core;
using DmaSim.Kernel.Boot;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// iommu_identity_mapping's IDENTMAP_GFX: set by init_dmars when dmar_map_gfx is clear (intel_iommu=igfx_off), from
/// 5daab58043ee (5.2, stable 4.19.99) until ba00196ca41c (6.10). iommu_should_identity_map (to 5.2) and
/// device_def_domain_type (5.3+) then ask for identity for every display function (IS_GFX_DEVICE), whichever unit it sits
/// under; the graphics-dedicated unit itself is ignored (<see cref="NoRemappingDevices"/>), so this reaches the display
/// functions under other units (a discrete GPU, a server's VGA, a virtual IOMMU's include-all unit).
/// </summary>
public static class IdentMapGfx
{
    /// <summary>Whether this boot sets IDENTMAP_GFX: igfx_off given, and the profile's rule (or, on linux-4.19, the release).</summary>
    public static bool Applies(KernelContext k)
    {
        ArgumentNullException.ThrowIfNull(k);
        if (!k.Cmdline.IgfxOff) return false;
        if (k.Profile.IgfxOffIdentityMapsGraphics.Value) return true;
        return k.Profile.Name == ProfileNames.Linux419 && k.Release is { } v && v >= new KernelVersion(4, 19, 99);
    }
}
