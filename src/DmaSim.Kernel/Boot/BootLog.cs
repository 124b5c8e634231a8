using DmaSim.Core;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>The boot messages of each era, worded as that kernel printed them.</summary>
public static class BootLog
{
    /// <summary>
    /// e820 map: 2.6.3x printed " BIOS-e820: 0000000000000000 - 000000000009f800 (usable)" (end
    /// exclusive, arch/x86/kernel/e820.c e820_print_map); 3.x and later "BIOS-e820: [mem 0x…-0x…] usable".
    /// </summary>
    public static void E820(KernelContext k)
    {
        k.Log("BIOS-provided physical RAM map:");
        foreach (var e in k.E820.Entries)
        {
            k.Log(k.Profile.LogStyle.Value == LogStyle.Legacy
                ? $" BIOS-e820: {e.Range.Start.Value:x16} - {e.Range.End.Value + 1:x16} ({LegacyName(e.Type)})"
                : $"BIOS-e820: [mem {Hex.Format(e.Range.Start.Value, 16)}-{Hex.Format(e.Range.End.Value, 16)}] {e.KernelName}");
        }
        k.Log(k.Profile.LogStyle.Value == LogStyle.Legacy
            ? $"last_pfn = {Hex.Format(k.Pages.MaxPfn)} max_arch_pfn = 0x400000000"
            : $"e820: last_pfn = {Hex.Format(k.Pages.MaxPfn)} max_arch_pfn = 0x400000000");
    }

    private static string LegacyName(Hardware.Memory.E820Type t) => t switch
    {
        Hardware.Memory.E820Type.Usable => "usable",
        Hardware.Memory.E820Type.Reserved => "reserved",
        Hardware.Memory.E820Type.Acpi => "ACPI data",
        Hardware.Memory.E820Type.Nvs => "ACPI NVS",
        _ => "unusable",
    };

    /// <summary>parse_dmar_table / dmar_table_print_dmar_entry (drivers/pci/dmar.c; drivers/iommu/intel/dmar.c).</summary>
    public static void DmarTable(KernelContext k, DmarInfo dmar)
    {
        var p = Prefix(k);
        k.Log($"{p}Host address width {dmar.HostAddressWidth}");
        var modern = k.Profile.LogStyle.Value == LogStyle.Modern;
        foreach (var e in dmar.Entries)
        {
            if (e.ModernOnly && !modern) k.Log($"{p}Unknown DMAR structure type {e.Type}");
            else k.Log(p + e.Text);
        }
    }

    /// <summary>alloc_iommu: one line per unit with its version, CAP and ECAP.</summary>
    public static void Units(KernelContext k, IReadOnlyList<DmarUnit> units)
    {
        foreach (var u in units)
        {
            var line = k.Profile.LogStyle.Value == LogStyle.Legacy
                ? $"IOMMU {u.Drhd.RegisterBase:x}: ver {u.Hw.Version >> 4}:{u.Hw.Version & 0xf} cap {u.Hw.Cap:x} ecap {u.Hw.Ecap:x}"
                : $"DMAR: {u.Name}: reg_base_addr {u.Drhd.RegisterBase:x} ver {u.Hw.Version >> 4}:{u.Hw.Version & 0xf} cap {u.Hw.Cap:x} ecap {u.Hw.Ecap:x}";
            k.Log(line);
        }
    }

    private static string Prefix(KernelContext k) => k.Profile.LogStyle.Value == LogStyle.Legacy ? "DMAR:" : "DMAR: ";
}
