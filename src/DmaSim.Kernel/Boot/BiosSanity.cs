using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

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
        var modern = k.Profile.Era == Era.T4;
        // parse_dmar_table: the table's width field (HAW − 1) must be at least PAGE_SHIFT − 1.
        if (dmar.HostAddressWidth - 1 < 11)
        {
            why = $"Invalid DMAR haw ({dmar.HostAddressWidth} bits)";
            k.Log($"{(modern ? "DMAR: " : "DMAR:")}Invalid DMAR haw");
            return false;
        }
        foreach (var d in dmar.Drhds)
        {
            if (d.RegisterBase == 0)
            {
                why = "DRHD at address zero";
                // warn_invalid_dmar: 2.6.32 "…at address zero!", modern "[Firmware Bug]: …at address 0!".
                k.Log(modern ? "DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!" : "Your BIOS is broken; DMAR reported at address zero!");
                return false;
            }
            var unit = mmio(d.RegisterBase);
            // A register window that reads back all ones means nothing answers there.
            if (unit is null || (unit.ReadRegister(VtdRegister.Cap, 8) == ulong.MaxValue && unit.ReadRegister(VtdRegister.Ecap, 8) == ulong.MaxValue))
            {
                why = $"DRHD at {d.RegisterBase:x} returns all ones";
                k.Log($"{(modern ? "DMAR: [Firmware Bug]: " : "")}Your BIOS is broken; DMAR reported at address {d.RegisterBase:x} returns all ones!");
                return false;
            }
        }
        if (!dmar.Drhds.Any(d => d.IncludePciAll))
            k.Note("the DMAR table has no INCLUDE_PCI_ALL unit: devices outside every scope are not remapped");
        return true;
    }
}
