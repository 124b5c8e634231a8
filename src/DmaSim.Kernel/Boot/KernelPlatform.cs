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

    /// <summary>The 5500/5520/X58 interrupt-remapping erratum: the kernel refuses interrupt remapping at APIC setup.</summary>
    public const string IrqRemappingErratum = "irq-remapping-erratum";

    /// <summary>
    /// Register bases of units whose device scope the scenario does not know (an inline unit imported from a kernel
    /// log, which prints no scopes): the kernel counts them as active rather than ignoring them for an empty scope.
    /// </summary>
    public IReadOnlySet<ulong> UnitsOfUnknownScope { get; init; } = new HashSet<ulong>();

    /// <summary>The CPU supports x2APIC (x2apic_supported()): interrupt remapping then tries extended interrupt mode.</summary>
    public bool CpuX2Apic { get; init; }
}
