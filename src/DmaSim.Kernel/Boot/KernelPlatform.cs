using DmaSim.Hardware.Vtd;
using DmaSim.Kernel.Iommu.Intel;

namespace DmaSim.Kernel.Boot;

/// <summary>
/// What the firmware and chipset give the kernel at boot, beyond memory and PCI config space: the ACPI
/// DMAR table (bytes, or none), MMIO access to remapping units by register base, and firmware bugs.
/// </summary>
public sealed record KernelPlatform(
    DmarInfo? Dmar,
    Func<ulong, VtdUnit?> RemappingUnitAt,
    IReadOnlySet<string> FirmwareFaults)
{
    public const string DmarInitFailure = "dmar-init-failure";
}
