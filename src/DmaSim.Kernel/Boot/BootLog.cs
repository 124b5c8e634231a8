using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;
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
        ArgumentNullException.ThrowIfNull(k);
        var dialect = Dialect(k);
        // Without a version the profile's style decides, as it always did; with one, the release's wording.
        var mem = k.KernelVersion is null ? k.Profile.LogStyle.Value != LogStyle.Legacy : dialect.E820MemFormat;
        k.Log(dialect.E820HeaderPrefix + "BIOS-provided physical RAM map:");
        foreach (var e in k.E820.Entries)
        {
            k.Log(!mem
                ? $" BIOS-e820: {e.Range.Start.Value:x16} - {e.Range.End.Value + 1:x16} ({LegacyName(e.Type)})"
                : $"BIOS-e820: [mem {Hex.Format(e.Range.Start.Value, 16)}-{Hex.Format(e.Range.End.Value, 16)}] {e.KernelName}");
        }
        k.Log($"{dialect.LastPfnPrefix}last_pfn = {Hex.Format(k.Pages.MaxPfn)} max_arch_pfn = 0x400000000");
        // setup_arch: with RAM above 4 GiB, max_low_pfn = e820_end_of_low_ram_pfn(), which prints the same
        // line for the RAM below 4 GiB (arch/x86/kernel/e820.c e820_end_pfn(1UL << (32 - PAGE_SHIFT))).
        // Printed for versioned runs only, so the unversioned profiles' logs stay as they were.
        const ulong lowLimit = 1UL << (32 - 12);
        if (k.KernelVersion is not null && k.Pages.MaxPfn > lowLimit)
            k.Log($"{dialect.LastPfnPrefix}last_pfn = {Hex.Format(EndPfn(k, lowLimit))} max_arch_pfn = 0x400000000");
    }

    /// <summary>e820_end_pfn: the end of the last usable entry starting below <paramref name="limitPfn"/>, capped there.</summary>
    private static ulong EndPfn(KernelContext k, ulong limitPfn)
    {
        ulong last = 0;
        foreach (var e in k.E820.Entries.Where(e => e.Type == Hardware.Memory.E820Type.Usable))
        {
            var start = e.Range.Start.Value >> 12;
            var end = (e.Range.End.Value + 1) >> 12;
            if (start >= limitPfn) continue;
            if (end > limitPfn) return limitPfn;
            last = Math.Max(last, end);
        }
        return last;
    }

    private static string LegacyName(Hardware.Memory.E820Type t) => t switch
    {
        Hardware.Memory.E820Type.Usable => "usable",
        Hardware.Memory.E820Type.Reserved => "reserved",
        Hardware.Memory.E820Type.Acpi => "ACPI data",
        Hardware.Memory.E820Type.Nvs => "ACPI NVS",
        _ => "unusable",
    };

    /// <summary>The wording of this run: the profile's era, refined by the scenario's kernel version.</summary>
    public static LogDialect Dialect(KernelContext k) => LogDialect.For(k.Profile, k.KernelVersion);

    /// <summary>
    /// parse_dmar_table: the host address width, then per structure in table order what
    /// dmar_table_print_dmar_entry prints and, right after each DRHD, alloc_iommu's unit line with the VER,
    /// CAP and ECAP read from that unit's registers (dmar_parse_one_drhd → alloc_iommu runs inside the
    /// walk: drivers/pci/dmar.c, 2.6.3x; drivers/iommu/dmar.c, 3.x/4.x; drivers/iommu/intel/dmar.c).
    /// </summary>
    public static void DmarTable(KernelContext k, DmarInfo dmar)
    {
        foreach (var line in DmarTableLines(k, dmar)) k.Log(line);
    }

    /// <summary>The lines of <see cref="DmarTable"/>, for a parse printed later among intel_iommu_init's own lines.</summary>
    public static List<string> DmarTableLines(KernelContext k, DmarInfo dmar)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dmar);
        var lines = new List<string>();
        AddDmarTableLines(k, dmar, lines.Add);
        return lines;
    }

    private static void AddDmarTableLines(KernelContext k, DmarInfo dmar, Action<string> log)
    {
        var dialect = Dialect(k);
        log(dialect.HostAddressWidth(dmar.HostAddressWidth));
        var seq = 0;
        var drhd = 0;
        foreach (var e in dmar.Entries)
        {
            if (dialect.StructureLine(e) is { } line) log(line);
            if (e.Type == "DRHD" && drhd < dmar.Drhds.Count && dmar.Drhds[drhd++].RegisterBase == 0)
            {
                // A unit at address zero fails its parse in every era (2.6.31 dmar_parse_one_drhd: -ENODEV;
                // later alloc_iommu: warn_invalid_dmar, -EINVAL), and the walk stops there: no unit line, no
                // later structure (a real 5.10 log: the zero DRHD's line, then "Parse DMAR table failure.").
                if (k.Profile.DrhdSanityCheck.Value != DrhdSanityCheck.ZeroAtParse) log(dialect.ParseFailureLine());
                return;
            }
            if (e.Unit is { } u) log(dialect.UnitLine(seq++, u.RegisterBase, u.Version, u.Cap, u.Ecap));
        }
        // 2.6.31 – 3.1: dmar_table_init reports the missing structure lists right after a parse that found units.
        if (dialect.NoneFoundAtTableInit && dmar.Drhds.Count > 0)
            foreach (var line in NoneFoundLines(dialect, dmar)) log(line);
    }

    /// <summary>
    /// parse_ioapics_under_ir, right after the table's parse when interrupt remapping parses it (intel_prepare_irq_remapping,
    /// 4.19 – 6.x): per unit in the kernel's list order (head-first, the include-all unit last), per IOAPIC or HPET scope
    /// entry in table order, "IOAPIC id N under DRHD base  0xB IOMMU S" (two spaces; S the unit's seq_id) or "HPET id N under
    /// DRHD base 0xB", under pr_fmt "DMAR-IR: " from 4.2 [R: the release of the prefix]. Only a table with the INTR_REMAP flag
    /// gets this far (dmar_ir_support); a unit at address zero stops the parse before.
    /// </summary>
    public static IEnumerable<string> InterruptScopeLines(KernelContext k, DmarInfo dmar)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dmar);
        if ((dmar.Flags & 1) == 0 || dmar.Drhds.Any(d => d.RegisterBase == 0)) yield break;
        var wording = Dialect(k).IrqRemapping;
        // 3.x asks intel_irq_remapping_supported (every unit ECAP.IR) before it parses the IOAPIC scopes; 4.x+ parses first.
        if (wording is IrqRemappingWording.V314 && !AllRemapInterrupts(dmar)) yield break;
        var prefix = wording == IrqRemappingWording.Prefixed ? "DMAR-IR: " : "";
        // seq is the unit's place in the table (dmarN), which the IOAPIC line prints.
        var units = dmar.Drhds.Select((d, seq) => (d, seq)).ToList();
        foreach (var (d, seq) in units.Where(u => !u.d.IncludePciAll).Reverse().Concat(units.Where(u => u.d.IncludePciAll)))
        {
            foreach (var s in d.InterruptScopes)
            {
                yield return s.IsHpet
                    ? $"{prefix}HPET id {s.Id} under DRHD base 0x{d.RegisterBase:x}"
                    : $"{prefix}IOAPIC id {s.Id} under DRHD base  0x{d.RegisterBase:x} IOMMU {seq}";
            }
        }
    }

    /// <summary>
    /// intel_prepare_irq_remapping after parse_ioapics_under_ir, then intel_enable_irq_remapping (read in 4.19.95, 5.4.59 and
    /// 6.1.20; 3.14 – 4.1 in their own words, <see cref="IrqRemappingWording"/>): every unit must have ECAP.IR, else remapping
    /// stays off and nothing more is printed. With an x2APIC-capable CPU (x2apic_supported; nox2apic clears the feature) the
    /// table's X2APIC_OPT_OUT flag, unless intremap=no_x2apic_optout, keeps xAPIC mode with its message; otherwise a unit
    /// without ECAP.EIM keeps xAPIC mode (4.2+ names the first in list order). Extended interrupt mode prints the
    /// queued-invalidation line (3.14 – 3.19: every x2APIC CPU, before the opt-out check). Then the mode.
    /// </summary>
    public static IEnumerable<string> IrqRemappingModeLines(KernelContext k, DmarInfo dmar, bool cpuX2Apic)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dmar);
        if ((dmar.Flags & 1) == 0 || dmar.Drhds.Any(d => d.RegisterBase == 0)) return [];
        if (AnsweringUnits(dmar) is not { Count: > 0 } units || !units.All(u => VtdEcap.Ir.IsSet(u.Ecap))) return [];
        var wording = Dialect(k).IrqRemapping;
        var lines = new List<string>();
        var x2apic = cpuX2Apic && !k.Cmdline.NoX2Apic;
        if (x2apic && wording == IrqRemappingWording.V314) lines.Add(QueuedInvalidationForX2Apic);
        var eim = x2apic && ((dmar.Flags & DmarX2ApicOptOut) == 0 || k.Cmdline.NoX2ApicOptOut);
        if (x2apic && !eim) lines.AddRange(OptOutLines(wording));
        var listOrder = units.Where(u => !u.IncludePciAll).Reverse().Concat(units.Where(u => u.IncludePciAll));
        var withoutEim = listOrder.Where(u => !VtdEcap.Eim.IsSet(u.Ecap)).Select(u => (int?)u.Seq).FirstOrDefault();
        if (eim && withoutEim is { } seq)
        {
            // 3.14 – 3.19 intel_enable_irq_remapping: a unit without EIM is an error and remapping stays off (read in a 3.1x copy).
            if (wording == IrqRemappingWording.V314)
            {
                var ecap = units[seq].Ecap;
                lines.Add($"DRHD {dmar.Drhds[seq].RegisterBase:x}: EIM not supported by DRHD,  ecap {ecap:x}");
                lines.Add("Failed to enable irq remapping.  You are vulnerable to irq-injection attacks.");
                return lines;
            }
            if (wording == IrqRemappingWording.Prefixed) lines.Add($"DMAR-IR: dmar{seq} does not support EIM");
            eim = false;
        }
        var prefix = wording == IrqRemappingWording.Prefixed ? "DMAR-IR: " : "";
        if (eim && wording != IrqRemappingWording.V314) lines.Add(prefix + QueuedInvalidationForX2Apic);
        lines.Add($"{prefix}Enabled IRQ remapping in {(eim ? "x2apic" : "xapic")} mode");
        return lines;
    }

    /// <summary>
    /// Each DRHD's ECAP, paired with its DRHD by table position (seq = dmarN), or null when a unit did not answer its
    /// registers: alloc_iommu then failed, so dmar_table_init failed and interrupt remapping never got past it.
    /// </summary>
    private static List<(ulong Ecap, int Seq, bool IncludePciAll)>? AnsweringUnits(DmarInfo dmar)
    {
        var entries = dmar.Entries.Where(e => e.Type == "DRHD").ToList();
        if (entries.Count != dmar.Drhds.Count || entries.Any(e => e.Unit is null)) return null;
        return [.. entries.Select((e, seq) => (e.Unit!.Value.Ecap, seq, dmar.Drhds[seq].IncludePciAll))];
    }

    /// <summary>Every DRHD answered with ECAP.IR (intel_irq_remapping_supported, 3.x; the check after the IOAPIC parse, 4.x+).</summary>
    private static bool AllRemapInterrupts(DmarInfo dmar) => AnsweringUnits(dmar) is { } units && units.All(u => VtdEcap.Ir.IsSet(u.Ecap));

    private const string QueuedInvalidationForX2Apic = "Queued invalidation will be enabled to support x2apic and Intr-remapping.";

    /// <summary>The firmware's x2APIC opt-out as each release words it (the 3.14 – 4.0 printk spans three lines).</summary>
    private static string[] OptOutLines(IrqRemappingWording wording) => wording switch
    {
        IrqRemappingWording.Prefixed =>
            ["DMAR-IR: x2apic is disabled because BIOS sets x2apic opt out bit.", "DMAR-IR: Use 'intremap=no_x2apic_optout' to override the BIOS setting."],
        IrqRemappingWording.V41 =>
            ["x2apic is disabled because BIOS sets x2apic opt out bit. You can use 'intremap=no_x2apic_optout' to override the BIOS setting."],
        _ => ["Your BIOS is broken and requested that x2apic be disabled.", "This will slightly decrease performance.", "Use 'intremap=no_x2apic_optout' to override BIOS request."],
    };

    // ACPI DMAR flags bit 1 (X2APIC_OPT_OUT).
    private const byte DmarX2ApicOptOut = 0x02;

    /// <summary>"No RMRR found" and its siblings, for the structure lists this table leaves empty.</summary>
    public static IEnumerable<string> NoneFoundLines(LogDialect dialect, DmarInfo dmar)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(dmar);
        return dialect.NoneFoundLines(dmar.Rmrrs.Count > 0, dmar.Entries.Any(e => e.Type == "ATSR"), dmar.Entries.Any(e => e.Type == "SATC"));
    }

    /// <summary>
    /// alloc_iommu's per-unit line, for units the parse did not already report (a DMAR read without
    /// register access); with register access the line was printed during the parse, where the kernel prints it.
    /// </summary>
    public static void Units(KernelContext k, IReadOnlyList<DmarUnit> units, IEnumerable<string>? parsedLater = null)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(units);
        var dialect = Dialect(k);
        var printed = k.Events.LogLines().Concat(parsedLater ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var u in units)
        {
            var line = dialect.UnitLine(u.Index, u.Drhd.RegisterBase, u.Hw.Version, u.Hw.Cap, u.Hw.Ecap);
            if (!printed.Contains(line)) k.Log(line);
        }
    }

    /// <summary>init_dmars' "Setting RMRR:" in the run's wording (for the legacy identity-map path, InitDmars).</summary>
    public static void SettingRmrr(KernelContext k)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.Log(Dialect(k).SettingRmrr());
    }

    /// <summary>One RMRR / LPC identity map given to a device, in the run's wording (<paramref name="lastByte"/> inclusive).</summary>
    public static void IdentityMap(KernelContext k, string pciName, ulong start, ulong lastByte)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.Log(Dialect(k).IdentityMap(pciName, start, lastByte));
    }

    /// <summary>"… identity mapping for device …" for a device put in si_domain at boot, in the run's wording.</summary>
    public static void StaticIdentityMapping(KernelContext k, bool hardware, string pciName)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.Log(Dialect(k).StaticIdentityMapping(hardware, pciName));
    }

    /// <summary>"Ignoring identity map for HW passthrough device …", in the run's wording (<paramref name="lastByte"/> inclusive).</summary>
    public static void IgnoringIdentityMap(KernelContext k, string pciName, ulong start, ulong lastByte)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.Log(Dialect(k).IgnoringIdentityMap(pciName, start, lastByte));
    }

    /// <summary>iommu_prepare_isa's "Prepare 0-16MiB unity mapping for LPC", in the run's wording.</summary>
    public static void LpcUnityMap(KernelContext k)
    {
        ArgumentNullException.ThrowIfNull(k);
        k.Log(Dialect(k).LpcUnityMap());
    }
}
