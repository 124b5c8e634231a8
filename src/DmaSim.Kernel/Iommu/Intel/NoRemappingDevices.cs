using DmaSim.Core;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// init_no_remapping_devices, which intel_iommu_init runs once the table's scopes are bound to the devices present at
/// boot and before init_dmars (drivers/pci/intel-iommu.c 2.6.31 – 3.0; drivers/iommu/intel-iommu.c to 5.7;
/// drivers/iommu/intel/iommu.c from 5.8, read at 2.6.32, 4.19, 5.10 and 6.1):
/// <list type="bullet">
/// <item>a unit that is not INCLUDE_PCI_ALL and whose scope holds no present PCI device is ignored ("ignore DMAR
/// unit if no pci devices exist"). IOAPIC and HPET scope entries are not devices here, so a unit that only serves
/// interrupt remapping is ignored, as on most servers' per-socket units;</item>
/// <item>a unit whose present devices are all display functions (IS_GFX_DEVICE: base class 03) is graphics-dedicated
/// (drhd->gfx_dedicated from 4.17); with <c>intel_iommu=igfx_off</c> (dmar_map_gfx = 0) it is ignored too, and its
/// devices become dummy devices: DUMMY_DEVICE_DOMAIN_INFO to 5.5, iommu_is_dummy on the ignored unit after.</item>
/// </list>
/// An ignored unit gets no root table, no invalidation queue and no translation (init_dmars skips it), so its devices'
/// DMA passes untranslated; their DMA API uses physical addresses (iommu_no_mapping's dummy test in the intel_dma_ops
/// eras, dma-direct once intel_iommu_probe_device refuses a device with no IOMMU).
/// </summary>
public static class NoRemappingDevices
{
    /// <summary>
    /// Marks the ignored and graphics-dedicated units. <paramref name="scopeUnknown"/> lists the register bases of units
    /// whose scope the scenario does not know (a unit imported from a log, which prints no scopes): they count as active.
    /// </summary>
    public static void Mark(KernelContext k, IReadOnlyList<DmarUnit> units, IReadOnlySet<ulong> scopeUnknown)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(units);
        ArgumentNullException.ThrowIfNull(scopeUnknown);
        foreach (var u in units)
        {
            if (u.Drhd.IncludePciAll || scopeUnknown.Contains(u.Drhd.RegisterBase) || u.Drhd.HasAcpiNamespaceDevice) continue;
            var present = u.Drhd.Devices.Select(s => k.Pci.Find(s.Bdf)).OfType<Hardware.Pci.PciFunction>().ToList();
            if (present.Count == 0)
            {
                u.Ignored = true;
                k.Note($"{u.Name} ({Hex.Format(u.Drhd.RegisterBase)}) ignored: no PCI device of its scope is present (init_no_remapping_devices)");
                continue;
            }
            if (!present.TrueForAll(f => f.IsGraphics)) continue;
            u.GfxDedicated = true;
            if (!k.Cmdline.IgfxOff) continue;
            u.Ignored = true;
            k.Note($"{u.Name} ({Hex.Format(u.Drhd.RegisterBase)}) ignored: it serves only graphics and intel_iommu=igfx_off bypasses it; "
                + $"{string.Join(", ", present.Select(f => f.Bdf.ToString()))} DMA untranslated");
        }
    }
}
