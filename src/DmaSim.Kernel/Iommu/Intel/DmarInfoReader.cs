using System.Globalization;
using System.Text;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// Turns the ACPI DMAR bytes into the kernel's unit and RMRR lists, resolving each device scope's
/// path through the PCI topology as dmar_parse_dev_scope does (drivers/pci/dmar.c, 2.6.32;
/// drivers/iommu/intel/dmar.c dmar_insert_dev_scope, modern).
/// </summary>
public static class DmarInfoReader
{
    public static DmarInfo Read(DmarTable table, PciTopology pci) => Read(table, pci, null);

    /// <summary>
    /// As <see cref="Read(DmarTable, PciTopology)"/>, and for each DRHD reads the unit's VER, CAP and ECAP
    /// through <paramref name="mmio"/>, as dmar_parse_one_drhd → alloc_iommu → map_iommu does while parsing
    /// (drivers/iommu/intel/dmar.c; the values the kernel then prints).
    /// </summary>
    public static DmarInfo Read(DmarTable table, PciTopology pci, Func<ulong, VtdUnit?>? mmio)
    {
        ArgumentNullException.ThrowIfNull(table);
        var drhds = new List<DrhdInfo>();
        var rmrrs = new List<RmrrInfo>();
        var log = new List<DmarLogEntry>();
        foreach (var s in table.Structures)
        {
            switch (s)
            {
                case Drhd d:
                    drhds.Add(new DrhdInfo(d.RegisterBase, d.Flags, d.Segment, (d.Flags & 1) != 0, Resolve(d.DeviceScopes, pci), d.Offset)
                    {
                        HasAcpiNamespaceDevice = d.DeviceScopes.Any(x => x.Type == DeviceScopeType.AcpiNamespace),
                        InterruptScopes = [.. d.DeviceScopes.Where(x => x.Type is DeviceScopeType.IoApic or DeviceScopeType.Hpet)
                            .Select(x => new InterruptScope(x.Type == DeviceScopeType.Hpet, x.EnumerationId))],
                    });
                    log.Add(new("DRHD", $"DRHD base: {Hex.Format(d.RegisterBase, 14)} flags: {Hex.Format(d.Flags)}", false, 0, Registers(mmio, d.RegisterBase)));
                    break;
                case Rmrr r:
                    // dmar_rmrr_units is filled with list_add, at the head, so every for_each_rmrr_units walk
                    // (init_dmars' "Setting identity map" lines, the reserved regions of a device) meets the
                    // RMRRs in reverse table order: dmar_register_rmrr_unit (drivers/pci/dmar.c, 2.6.32 and 3.0) and
                    // dmar_parse_one_rmrr (drivers/iommu/intel-iommu.c, then intel/iommu.c, through 6.x) alike.
                    rmrrs.Insert(0, new RmrrInfo(new PhysRange(r.Base, r.EndLimit), r.Segment, Resolve(r.DeviceScopes, pci), r.Offset));
                    log.Add(new("RMRR", $"RMRR base: {Hex.Format(r.Base, 14)} end: {Hex.Format(r.EndLimit, 14)}", false, 1));
                    break;
                case Atsr a:
                    log.Add(new("ATSR", $"ATSR flags: {Hex.Format(a.Flags)}", false, 2));
                    break;
                case Rhsa h:
                    log.Add(new("RHSA", $"RHSA base: {Hex.Format(h.RegisterBase, 14)} proximity domain: {Hex.Format(h.ProximityDomain)}", true, 3));
                    break;
                case Andd n:
                    log.Add(new("ANDD", $"ANDD device: {n.DeviceNumber.ToString("x", CultureInfo.InvariantCulture)} name: {AnddName(n)}", true, 4));
                    break;
                case Satc c:
                    log.Add(new("SATC", $"SATC flags: {Hex.Format(c.Flags)}", true, 5));
                    break;
                default:
                    // A type this kernel model does not parse (SIDP, reserved types): only the old default
                    // branch's pr_warn("Unknown DMAR structure type %d") mentions it (LogDialect).
                    log.Add(new("UNKNOWN", "", true, s.TypeCode));
                    break;
            }
        }
        return new DmarInfo(table.HostAddressWidth, table.Flags, drhds, rmrrs, log);
    }

    private static UnitRegisterValues? Registers(Func<ulong, VtdUnit?>? mmio, ulong registerBase)
    {
        if (mmio?.Invoke(registerBase) is not { } unit) return null;
        return new UnitRegisterValues(registerBase, (uint)unit.ReadRegister(VtdRegister.Ver, 4),
            unit.ReadRegister(VtdRegister.Cap, 8), unit.ReadRegister(VtdRegister.Ecap, 8));
    }

    private static string AnddName(Andd n)
    {
        var bytes = n.NameField.ToArray();
        var nul = Array.IndexOf(bytes, (byte)0);
        return Encoding.ASCII.GetString(bytes, 0, nul < 0 ? bytes.Length : nul);
    }

    /// <summary>Follows each scope's path from its start bus through bridges' secondary buses.</summary>
    public static IReadOnlyList<ScopedDevice> Resolve(IEnumerable<DeviceScope> scopes, PciTopology pci)
    {
        var list = new List<ScopedDevice>();
        foreach (var s in scopes)
        {
            if (s.Type is not (DeviceScopeType.Endpoint or DeviceScopeType.Bridge)) continue;
            var bus = s.StartBus;
            Bdf? found = null;
            for (var i = 0; i < s.Path.Length; i++)
            {
                var bdf = new Bdf(bus, s.Path[i].Device, s.Path[i].Function);
                if (i == s.Path.Length - 1) { found = bdf; break; }
                var f = pci.Find(bdf);
                if (f?.SecondaryBus is not { } sec) break;
                bus = sec;
            }
            if (found is { } b) list.Add(new ScopedDevice(b, s.Type == DeviceScopeType.Bridge, (byte)s.Type));
        }
        return list;
    }
}
