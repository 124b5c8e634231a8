using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>
/// The BIOS bugs the kernel detects before it trusts a DMAR table; any of them disables DMA remapping.
/// Which ones an era checks, and when (parse time in intel_iommu_init, or probe time in
/// detect_intel_iommu before the swiotlb decision), is the profile's <see cref="KernelProfile.DrhdSanityCheck"/>:
/// 2.6.3x drivers/pci/dmar.c dmar_parse_one_drhd / alloc_iommu / check_zero_address; modern
/// drivers/iommu/intel/dmar.c dmar_validate_one_drhd → warn_invalid_dmar.
/// </summary>
public static class BiosSanity
{
    /// <summary>The checks intel_iommu_init makes while parsing the table (dmar_table_init).</summary>
    public static bool Check(KernelContext k, DmarInfo dmar, Func<ulong, VtdUnit?> mmio, out string? why)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dmar);
        why = null;
        // parse_dmar_table: the table's width field (HAW − 1) must be at least PAGE_SHIFT − 1.
        if (dmar.HostAddressWidth - 1 < 11)
        {
            why = $"Invalid DMAR haw ({dmar.HostAddressWidth} bits)";
            k.Log($"{BootLog.Dialect(k).DmarPrefix}Invalid DMAR haw");
            return false;
        }
        if (!CheckDrhds(k, dmar, mmio, out why)) return false;
        if (!dmar.Drhds.Any(d => d.IncludePciAll))
            k.Note("the DMAR table has no INCLUDE_PCI_ALL unit: devices outside every scope are not remapped");
        return true;
    }

    /// <summary>
    /// The per-DRHD checks: register base zero, and (from "Cope with broken HP DC7900 BIOS") CAP and ECAP
    /// both reading all ones. An era without the all-ones check goes on with CAP/ECAP = ~0, which
    /// advertise every feature; init_dmars then waits, through IOMMU_WAIT_OP, for a status bit to clear
    /// that reads 1 for ever (iommu_flush_write_buffer: CAP.RWBF set, GSTS.WBFS never clears) and panics.
    /// </summary>
    public static bool CheckDrhds(KernelContext k, DmarInfo dmar, Func<ulong, VtdUnit?> mmio, out string? why)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dmar);
        ArgumentNullException.ThrowIfNull(mmio);
        why = null;
        var checksAllOnes = k.Profile.DrhdSanityCheck.Value != DrhdSanityCheck.ZeroAtParse;
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
                if (!checksAllOnes)
                {
                    k.Log($"IOMMU {d.RegisterBase:x}: ver 15:15 cap ffffffffffffffff ecap ffffffffffffffff");
                    k.Note("no all-ones check in this era: CAP/ECAP read ~0 and are trusted; iommu_flush_write_buffer waits for GSTS.WBFS to clear, which reads 1 for ever");
                    throw new KernelPanicException("DMAR hardware is malfunctioning");
                }
                why = $"DRHD at {d.RegisterBase:x} returns all ones";
                k.Log(InitMessages.DrhdAllOnes(k.Profile, d.RegisterBase));
                return false;
            }
        }
        return true;
    }
}
