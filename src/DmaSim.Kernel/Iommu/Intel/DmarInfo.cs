using DmaSim.Core;
using DmaSim.Hardware.Pci;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>A DMAR device scope as the kernel resolves it: the function and whether it covers a hierarchy.</summary>
public readonly record struct ScopedDevice(Bdf Bdf, bool IsBridgeScope, byte Type);

/// <summary>One DRHD as the kernel keeps it (struct dmar_drhd_unit).</summary>
public sealed record DrhdInfo(ulong RegisterBase, byte Flags, ushort Segment, bool IncludePciAll, IReadOnlyList<ScopedDevice> Devices, int Offset)
{
    /// <summary>The scope names an ACPI name-space device (ANDD), which the model takes to be present (no ACPI devices are simulated).</summary>
    public bool HasAcpiNamespaceDevice { get; init; }

    /// <summary>The IOAPIC and HPET scope entries in table order: interrupt remapping's parse prints one line each.</summary>
    public IReadOnlyList<InterruptScope> InterruptScopes { get; init; } = [];
}

/// <summary>An IOAPIC or HPET entry of a DRHD's scope, by its enumeration id.</summary>
public readonly record struct InterruptScope(bool IsHpet, byte Id);

/// <summary>One RMRR (struct dmar_rmrr_unit).</summary>
public sealed record RmrrInfo(PhysRange Range, ushort Segment, IReadOnlyList<ScopedDevice> Devices, int Offset);

/// <summary>
/// A line parse_dmar_table prints for one structure, in table order (text after the "DMAR:" prefix).
/// <see cref="TypeNumber"/> is the ACPI structure type; <see cref="Unit"/> holds, for a DRHD, the VER/CAP/ECAP
/// alloc_iommu read from the unit's registers while parsing it (null when no unit answers at that base).
/// </summary>
public sealed record DmarLogEntry(string Type, string Text, bool ModernOnly, int TypeNumber = 0, UnitRegisterValues? Unit = null);

/// <summary>What alloc_iommu reads from a remapping unit's registers at parse time (DMAR_VER_REG, DMAR_CAP_REG, DMAR_ECAP_REG).</summary>
public readonly record struct UnitRegisterValues(ulong RegisterBase, uint Version, ulong Cap, ulong Ecap);

/// <summary>The parsed DMAR table, in the kernel's terms (drivers/pci/dmar.c parse_dmar_table); <see cref="Rmrrs"/> in the kernel's list order, the reverse of the table's.</summary>
public sealed record DmarInfo(int HostAddressWidth, byte Flags, IReadOnlyList<DrhdInfo> Drhds, IReadOnlyList<RmrrInfo> Rmrrs, IReadOnlyList<DmarLogEntry> Entries);
