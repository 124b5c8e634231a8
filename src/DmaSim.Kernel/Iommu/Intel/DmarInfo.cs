using DmaSim.Core;
using DmaSim.Hardware.Pci;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>A DMAR device scope as the kernel resolves it: the function and whether it covers a hierarchy.</summary>
public readonly record struct ScopedDevice(Bdf Bdf, bool IsBridgeScope, byte Type);

/// <summary>One DRHD as the kernel keeps it (struct dmar_drhd_unit).</summary>
public sealed record DrhdInfo(ulong RegisterBase, byte Flags, ushort Segment, bool IncludePciAll, IReadOnlyList<ScopedDevice> Devices, int Offset);

/// <summary>One RMRR (struct dmar_rmrr_unit).</summary>
public sealed record RmrrInfo(PhysRange Range, ushort Segment, IReadOnlyList<ScopedDevice> Devices, int Offset);

/// <summary>A line parse_dmar_table prints for one structure, in table order (text after the "DMAR:" prefix).</summary>
public sealed record DmarLogEntry(string Type, string Text, bool ModernOnly);

/// <summary>The parsed DMAR table, in the kernel's terms (drivers/pci/dmar.c parse_dmar_table).</summary>
public sealed record DmarInfo(int HostAddressWidth, byte Flags, IReadOnlyList<DrhdInfo> Drhds, IReadOnlyList<RmrrInfo> Rmrrs, IReadOnlyList<DmarLogEntry> Entries);
