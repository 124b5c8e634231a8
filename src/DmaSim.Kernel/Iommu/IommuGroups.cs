using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu;

/// <summary>How one kernel era decides which devices share isolation (an IOMMU group, or a context entry and domain).</summary>
public interface IGroupFormation
{
    /// <summary>Short name for reports.</summary>
    string Name { get; }

    /// <summary>Gives each device under a remapping unit its group number, in probe order; the rest keep null.</summary>
    void Assign(PciTopology pci, IReadOnlyList<KernelDevice> probeOrder);
}

/// <summary>
/// 2.6.3x / 3.0: no IOMMU groups yet (they arrived in 3.5); the unit of isolation is the context entry the
/// hardware looks up, i.e. the requester id the root complex sees, and the domain the driver attaches to it
/// (get_domain_for_dev shares the domain of the upstream PCIe-to-PCI bridge). Devices behind one bridge alias
/// share; numbers follow the first device of each set in probe order. Bridges originate no DMA and get none.
/// </summary>
public sealed class SharedContextEntryGroups : IGroupFormation
{
    public string Name => "shared context entry";

    public void Assign(PciTopology pci, IReadOnlyList<KernelDevice> probeOrder)
    {
        var numbers = new Dictionary<Bdf, int>();
        foreach (var dev in probeOrder.Where(d => !d.Pci.IsBridge))
        {
            var rid = pci.RequesterIdSeenByRootComplex(dev.Bdf);
            if (!numbers.TryGetValue(rid, out var n)) numbers[rid] = n = numbers.Count;
            dev.Group = n;
        }
    }
}

/// <summary>
/// Linux 6.1 drivers/iommu/iommu.c pci_device_group, run for every PCI function in bus-scan order
/// (bus_set_iommu → bus_iommu_probe; iommu_group_alloc numbers groups in allocation order):
/// 1. pci_for_each_dma_alias / get_pci_alias_or_group: walk up; every PCIe-to-PCI bridge and conventional
///    bridge on the way becomes the candidate (it aliases the device); join its group if it has one.
/// 2. From the candidate's bus up to the root bus, stop at the first bridge whose path to the root is
///    ACS-isolated (pci_acs_path_enabled); otherwise that bridge becomes the candidate, join its group.
/// 3. get_pci_function_alias_group: a multifunction candidate without ACS joins a sibling function
///    without ACS that already has a group.
/// 4. Else a new group. DMA alias quirks (dma_alias_mask, get_pci_alias_group) are not modelled.
/// </summary>
public sealed class PciDeviceGroups : IGroupFormation
{
    public string Name => "pci_device_group";

    public void Assign(PciTopology pci, IReadOnlyList<KernelDevice> probeOrder)
    {
        var groupOf = new Dictionary<Bdf, int>();
        var next = 0;
        foreach (var dev in probeOrder)
        {
            var g = Find(pci, dev.Pci, groupOf) ?? next++;
            groupOf[dev.Bdf] = g;
            dev.Group = g;
        }
    }

    private static int? Find(PciTopology pci, PciFunction dev, Dictionary<Bdf, int> groupOf)
    {
        var candidate = dev;
        foreach (var bridge in pci.BridgesAbove(dev.Bdf))
        {
            // Root, upstream and downstream ports pass requester ids through: no alias, no candidate.
            if (bridge.IsPciePort) continue;
            candidate = bridge;
            if (groupOf.TryGetValue(bridge.Bdf, out var aliased)) return aliased;
        }
        for (var up = pci.UpstreamBridge(candidate.Bdf); up is not null; up = pci.UpstreamBridge(up.Bdf))
        {
            if (AcsQuirks.PathEnabled(pci, up)) break;
            candidate = up;
            if (groupOf.TryGetValue(up.Bdf, out var upstream)) return upstream;
        }
        if (!pci.IsMultifunction(candidate.Bdf) || AcsQuirks.Enabled(pci, candidate)) return null;
        foreach (var sibling in pci.SlotSiblings(candidate.Bdf))
        {
            if (!AcsQuirks.Enabled(pci, sibling) && groupOf.TryGetValue(sibling.Bdf, out var shared)) return shared;
        }
        return null;
    }
}

/// <summary>Runs the profile's group formation over the devices a remapping unit covers, in the order the IOMMU core probes them.</summary>
public static class IommuGroupProbe
{
    /// <summary>
    /// The devices under a unit in probe order (<see cref="KernelProfile.GroupProbeOrder"/>); each gets its group. To 6.0
    /// one probe walks the bus in scan order; from 6.1 each unit's registration probes its own devices in scan order, units
    /// in the kernel's list order.
    /// </summary>
    public static IReadOnlyList<KernelDevice> Run(KernelContext k, Intel.IntelIommu iommu, IReadOnlyList<KernelDevice> devices)
    {
        var byBdf = devices.ToDictionary(d => d.Bdf);
        var scan = k.Pci.ScanOrder()
            .Where(f => byBdf.ContainsKey(f.Bdf))
            .Select(f => (Device: byBdf[f.Bdf], Unit: iommu.UnitFor(f.Bdf)))
            .Where(x => x.Unit is not null)
            .ToList();
        var order = k.Profile.GroupProbeOrder.Value == GroupProbeOrder.PerUnitRegistration
            ? [.. iommu.ListOrder.SelectMany(u => scan.Where(x => x.Unit == u).Select(x => x.Device))]
            : scan.ConvertAll(x => x.Device);
        Formation(k).Assign(k.Pci, order);
        return order;
    }

    /// <summary>
    /// The profile's formation, narrowed by the exact release when the scenario gives one: the linux-3.0
    /// profile spans 2.6.39 – 5.2, and IOMMU groups (pci_device_group) arrived in 3.5 ("iommu: IOMMU Groups").
    /// </summary>
    public static IGroupFormation Formation(KernelContext k)
    {
        var formation = k.Profile.IommuGroups.Value;
        return formation is SharedContextEntryGroups && k.Release is { } v && v >= new Boot.KernelVersion(3, 5, 0)
            ? new PciDeviceGroups()
            : formation;
    }
}
