using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;

namespace DmaSim.Hardware.Platform;

/// <summary>
/// How the platform itself routes DMA to its remapping units and where its firmware's reserved memory is —
/// facts of the silicon and the BIOS, which the DMAR table describes (VT-d spec 8.3 and 8.3.1). Worked out
/// here from the table and the PCI topology as the hardware is built, independently of the kernel's own
/// reading of the same table, so physical truth is never computed with the code under test.
/// </summary>
public static class ChipsetWiring
{
    /// <summary>
    /// The function a device scope names: its path walked from the start bus, each hop through a bridge's
    /// secondary bus (VT-d spec 8.3.1, "Device Scope Structure"); null when a hop finds no bridge or the
    /// scope is not a PCI endpoint or bridge.
    /// </summary>
    public static Bdf? Target(DeviceScope scope, PciTopology pci)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(pci);
        if (scope.Type is not (DeviceScopeType.Endpoint or DeviceScopeType.Bridge) || scope.Path.Length == 0) return null;
        var bus = scope.StartBus;
        for (var i = 0; i < scope.Path.Length - 1; i++)
        {
            if (pci.Find(new Bdf(bus, scope.Path[i].Device, scope.Path[i].Function))?.SecondaryBus is not { } secondary) return null;
            bus = secondary;
        }
        return new Bdf(bus, scope.Path[^1].Device, scope.Path[^1].Function);
    }

    /// <summary>Whether a scope covers a requester: it names it, or (a bridge scope) a bridge above it (VT-d spec 8.3.1).</summary>
    public static bool Covers(DeviceScope scope, PciTopology pci, Bdf requester)
    {
        ArgumentNullException.ThrowIfNull(pci);
        if (Target(scope, pci) is not { } target) return false;
        return target == requester || (scope.Type == DeviceScopeType.Bridge && pci.BridgesAbove(requester).Any(b => b.Bdf == target));
    }

    /// <summary>
    /// The unit a requester's DMA goes through: the first DRHD of segment 0 whose scopes cover it, else the
    /// segment's INCLUDE_PCI_ALL unit (VT-d spec 8.3: "a DRHD with INCLUDE_PCI_ALL ... must be the last");
    /// <paramref name="unitAt"/> maps a register base to the unit there (null when nothing answers).
    /// </summary>
    public static Func<Bdf, TUnit?> Route<TUnit>(DmarTable table, PciTopology pci, Func<ulong, TUnit?> unitAt) where TUnit : class
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(unitAt);
        var drhds = table.Drhds.Where(d => d.Segment == 0).ToList();
        return requester =>
        {
            TUnit? catchAll = null;
            foreach (var d in drhds)
            {
                if (unitAt(d.RegisterBase) is not { } unit) continue;
                if (d.IncludePciAll) { catchAll ??= unit; continue; }
                if (d.DeviceScopes.Any(s => Covers(s, pci, requester))) return unit;
            }
            return catchAll;
        };
    }

    /// <summary>
    /// The reserved memory the firmware uses for a device (the RMRRs that name it): what the BIOS's SMM handler
    /// DMAs into, whatever the operating system makes of the table.
    /// </summary>
    public static IReadOnlyList<PhysRange> ReservedRegionsOf(DmarTable table, PciTopology pci, Bdf device)
    {
        ArgumentNullException.ThrowIfNull(table);
        return [.. table.Rmrrs
            .Where(r => r.Segment == 0 && r.EndLimit >= r.Base && r.DeviceScopes.Any(s => Target(s, pci) == device))
            .Select(r => new PhysRange(r.Base, r.EndLimit))];
    }
}
