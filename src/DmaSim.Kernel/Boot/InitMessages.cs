using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>
/// The VT-d init and BIOS-sanity lines in the wording of the profile's <see cref="KernelProfile.LogStyle"/>:
/// 2.6.32's drivers/pci/dmar.c and intel-iommu.c printk strings, or modern drivers/iommu/intel/ (pr_fmt
/// "DMAR: ", FW_BUG). The DMAR parse lines, which also follow an exact version, are <see cref="LogDialect"/>'s.
/// </summary>
public static class InitMessages
{
    private static bool Modern(KernelProfile p) => p.LogStyle.Value == LogStyle.Modern;

    /// <summary>intel_iommu_init: 2.6.32 printk(KERN_ERR "IOMMU: dmar init failed"); modern pr_err("Initialization failed").</summary>
    public static string InitFailed(KernelProfile p) => Modern(p) ? "DMAR: Initialization failed" : "IOMMU: dmar init failed";

    /// <summary>iommu_init_domains / alloc_iommu: no usable AGAW for the unit.</summary>
    public static string NoValidAgaw(KernelProfile p, DmarUnit u) => Modern(p)
        ? $"DMAR: {u.Name}: Cannot get a valid agaw for iommu (seq_id = {u.Index})"
        : $"IOMMU: Cannot get a valid agaw for iommu (seq_id = {u.Index})";

    /// <summary>
    /// init_dmars: which invalidation interface the unit uses (dmar_enable_qi), in the release's wording
    /// (<see cref="LogDialect.InvalidationLine"/>).
    /// </summary>
    public static string InvalidationMethod(LogDialect dialect, DmarUnit u, bool queued)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(u);
        return dialect.InvalidationLine(u.Index, u.Name, u.Drhd.RegisterBase, queued);
    }

    /// <summary>warn_invalid_dmar: 2.6.32 "…at address zero!", modern "[Firmware Bug]: …at address 0!".</summary>
    public static string DrhdAtAddressZero(KernelProfile p) => Modern(p)
        ? "DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!"
        : "Your BIOS is broken; DMAR reported at address zero!";

    /// <summary>dmar_parse_one_drhd / map_iommu: a register window that reads back all ones.</summary>
    public static string DrhdAllOnes(KernelProfile p, ulong registerBase) =>
        $"{(Modern(p) ? "DMAR: [Firmware Bug]: " : "")}Your BIOS is broken; DMAR reported at address {registerBase:x} returns all ones!";
}
