using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel;

namespace DmaSim.Kernel.Boot;

/// <summary>
/// The BIOS bugs the kernel detects before it trusts a DMAR table; any of them disables DMA remapping.
/// "intel-iommu: Detect DMAR in hyperspace at probe time" and "Cope with broken HP DC7900 BIOS"
/// (2.6.32: drivers/pci/dmar.c check_zero_address / dmar_parse_one_drhd); modern
/// drivers/iommu/intel/dmar.c warn_invalid_dmar and map_iommu.
/// </summary>
public static class BiosSanity
{
    public static bool Check(KernelContext k, DmarInfo dmar, Func<ulong, VtdUnit?> mmio, out string? why)
    {
        why = null;
        // parse_dmar_table: the table's width field (HAW − 1) must be at least PAGE_SHIFT − 1.
        if (dmar.HostAddressWidth - 1 < 11)
        {
            why = $"Invalid DMAR haw ({dmar.HostAddressWidth} bits)";
            k.Log(InitMessages.InvalidHaw(k.Profile));
            return false;
        }
        foreach (var d in dmar.Drhds)
        {
            if (d.RegisterBase == 0)
            {
                why = "DRHD at address zero";
                k.Log(InitMessages.DrhdAtAddressZero(k.Profile));
                return false;
            }
            var unit = mmio(d.RegisterBase);
            // A register window that reads back all ones means nothing answers there.
            if (unit is null || (unit.ReadRegister(VtdRegister.Cap, 8) == ulong.MaxValue && unit.ReadRegister(VtdRegister.Ecap, 8) == ulong.MaxValue))
            {
                why = $"DRHD at {d.RegisterBase:x} returns all ones";
                k.Log(InitMessages.DrhdAllOnes(k.Profile, d.RegisterBase));
                return false;
            }
        }
        if (!dmar.Drhds.Any(d => d.IncludePciAll))
            k.Note("the DMAR table has no INCLUDE_PCI_ALL unit: devices outside every scope are not remapped");
        return true;
    }
}
