using System.Globalization;
using System.Text;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;

namespace DmaSim.Simulation.Firmware;

/// <summary>
/// <c>dmasim dmar summary</c>: one screen saying what a DMAR table means — the remapping units and what each covers,
/// the RMRRs and the devices they pin, ATSR/RHSA/ANDD/SATC — and what each era of Linux does with it, with the firmware
/// bugs <see cref="DmarLint"/> finds. Facts the table cannot give (a unit's ECAP, a device's class) come from the kernel
/// log when one is given (<see cref="DmarLintContext.FromDmesg"/>), and are named as unknown otherwise.
/// </summary>
public static class DmarSummary
{
    /// <summary>ECAP.PT (VT-d spec 10.4.3, bit 6): the unit can pass DMA through untranslated.</summary>
    private const ulong EcapPassThrough = 1UL << 6;

    /// <summary>CAP.CM (VT-d spec 10.4.2, bit 7): caching mode, set by virtual IOMMUs such as QEMU's.</summary>
    private const ulong CapCachingMode = 1UL << 7;

    public static string Text(string file, DmarTable table, DmarLintContext context)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(context);
        var s = new StringBuilder();
        Header(s, file, table);
        Units(s, table, context);
        Rmrrs(s, table, context);
        Others(s, table);
        Linux(s, table, context);
        Bugs(s, table, context);
        return s.ToString();
    }

    private static void Header(StringBuilder s, string file, DmarTable t)
    {
        s.Append(CultureInfo.InvariantCulture, $"{file}: DMAR revision {t.Revision}, {t.Length} bytes, OEM \"{DmarTable.Display(t.OemId).TrimEnd()}\" \"{DmarTable.Display(t.OemTableId).TrimEnd()}\"\n");
        s.Append(CultureInfo.InvariantCulture, $"host address width {t.HostAddressWidth} bits: DMA can reach {Size(t.HostAddressWidth)} of physical address space\n");
        var flags = new List<string>();
        if (t.IntrRemap) flags.Add("INTR_REMAP (interrupt remapping offered)");
        if (t.X2ApicOptOut) flags.Add("X2APIC_OPT_OUT (firmware asks the OS not to enable x2APIC mode)");
        if (t.DmaCtrlPlatformOptIn) flags.Add("DMA_CTRL_PLATFORM_OPT_IN (firmware protected DMA until the OS took over: Thunderbolt DMA protection)");
        s.Append(CultureInfo.InvariantCulture, $"flags 0x{t.Flags:x}: {(flags.Count == 0 ? "none" : string.Join("; ", flags))}\n");
    }

    private static void Units(StringBuilder s, DmarTable t, DmarLintContext context)
    {
        var units = t.Structures.OfType<Drhd>().ToList();
        s.Append(CultureInfo.InvariantCulture, $"\nRemapping units (DRHD): {units.Count}\n");
        for (var i = 0; i < units.Count; i++)
        {
            var u = units[i];
            var covers = u.IncludePciAll
                ? "every PCI device on segment " + u.Segment.ToString(CultureInfo.InvariantCulture) + " that no other unit lists (INCLUDE_PCI_ALL)"
                : Join(u.DeviceScopes.Where(sc => sc.Type is DeviceScopeType.Endpoint or DeviceScopeType.Bridge).Select(Scope), "no PCI device");
            var extra = u.DeviceScopes.Where(sc => sc.Type is not (DeviceScopeType.Endpoint or DeviceScopeType.Bridge)).Select(Scope).ToList();
            s.Append(CultureInfo.InvariantCulture, $"  dmar{i} 0x{u.RegisterBase:x}  covers {covers}");
            if (extra.Count > 0) s.Append("; also ").Append(string.Join(", ", extra));
            s.Append('\n');
            if (context.UnitRegisters?.TryGetValue(u.RegisterBase, out var regs) == true)
                s.Append(CultureInfo.InvariantCulture, $"        from the log: cap 0x{regs.Cap:x} ecap 0x{regs.Ecap:x}: {((regs.Ecap & EcapPassThrough) != 0 ? "pass-through capable" : "no pass-through (ECAP.PT clear)")}{((regs.Cap & CapCachingMode) != 0 ? ", caching mode (a virtual IOMMU)" : "")}\n");
        }
    }

    private static void Rmrrs(StringBuilder s, DmarTable t, DmarLintContext context)
    {
        var rmrrs = t.Structures.OfType<Rmrr>().ToList();
        s.Append(CultureInfo.InvariantCulture, $"\nReserved memory regions (RMRR): {rmrrs.Count}{(rmrrs.Count > 0 ? " - firmware keeps DMAing into these; Linux maps them 1:1 for the devices listed" : "")}\n");
        // RMRRs that pin the same devices are shown together: firmware often lists one device set many times.
        foreach (var group in rmrrs.GroupBy(r => string.Join(", ", r.DeviceScopes.Select(sc => Pinned(sc, context)))))
        {
            var ranges = group.Select(r => $"0x{r.Base:x}-0x{r.EndLimit:x} ({Size(r.EndLimit >= r.Base ? r.EndLimit - r.Base + 1 : 0)})").ToList();
            s.Append("  ").Append(string.Join(", ", ranges)).Append('\n');
            s.Append("      pin").Append(ranges.Count == 1 ? "s " : " ").Append(group.Key.Length == 0 ? "no device" : group.Key).Append('\n');
        }
    }

    /// <summary>
    /// The device an RMRR scope names: its BDF when the path is one hop, or when the kernel log gives the secondary
    /// bus of each bridge on the path (dmar_find_matched_... walks the same hops through the bridges' secondary buses).
    /// </summary>
    private static string Pinned(DeviceScope sc, DmarLintContext context) =>
        Resolve(sc, context) is { } bdf ? bdf.ToString() : sc.Describe();

    private static Bdf? Resolve(DeviceScope sc, DmarLintContext context)
    {
        if (sc.Type != DeviceScopeType.Endpoint || sc.Path.Length == 0) return null;
        var bus = sc.StartBus;
        for (var i = 0; i < sc.Path.Length - 1; i++)
        {
            var bridge = new Bdf(bus, sc.Path[i].Device, sc.Path[i].Function);
            if (context.PciDevices?.TryGetValue(bridge, out var facts) != true || facts!.SecondaryBus is not { } next) return null;
            bus = next;
        }
        return new Bdf(bus, sc.Path[^1].Device, sc.Path[^1].Function);
    }

    private static void Others(StringBuilder s, DmarTable t)
    {
        foreach (var a in t.Structures.OfType<Atsr>())
            s.Append(CultureInfo.InvariantCulture, $"ATS root ports (ATSR) on segment {a.Segment}: {(a.AllPorts ? "all ports" : Join(a.DeviceScopes.Select(Scope), "none"))}\n");
        foreach (var h in t.Structures.OfType<Rhsa>())
            s.Append(CultureInfo.InvariantCulture, $"NUMA locality (RHSA): unit 0x{h.RegisterBase:x} is in proximity domain {h.ProximityDomain}\n");
        foreach (var n in t.Structures.OfType<Andd>())
            s.Append(CultureInfo.InvariantCulture, $"ACPI namespace device (ANDD) {n.DeviceNumber}: {n.ObjectName}\n");
        foreach (var c in t.Structures.OfType<Satc>())
            s.Append(CultureInfo.InvariantCulture, $"SoC integrated address translation cache (SATC){(c.AtcRequired ? ", ATC required" : "")}: {Join(c.DeviceScopes.Select(Scope), "no device")}\n");
    }

    private static void Linux(StringBuilder s, DmarTable t, DmarLintContext context)
    {
        s.Append("\nWhat Linux does with it\n");
        var units = t.Structures.OfType<Drhd>().ToList();
        if (units.Count == 0)
        {
            s.Append("  - no remapping unit: every kernel leaves VT-d off (\"DMAR: No DMAR devices found\").\n");
            return;
        }
        if (!units.Any(u => u.IncludePciAll))
            s.Append("  - no INCLUDE_PCI_ALL unit: a device no scope lists is not translated at all (its DMA bypasses the IOMMU).\n");
        PassThrough(s, units, context);
        RmrrDevices(s, t, context);
        if (t.DmaCtrlPlatformOptIn)
            s.Append("  - platform opt-in: from 5.0 (\"iommu/vt-d: Force IOMMU on for platform opt in hardware\", platform_optin_force_iommu) a kernel whose VT-d is off by default turns it on when an untrusted (external-facing) PCI port exists, printing \"DMAR: Intel-IOMMU force enabled due to platform opt in\", with identity mapping for every device but the untrusted ones; intel_iommu=off also disables the opt-in.\n");
        if (t.IntrRemap)
            s.Append("  - interrupt remapping available (intremap=off disables it)" + (t.X2ApicOptOut ? "; x2APIC stays in xAPIC mode because the firmware opts out" : "") + ".\n");
    }

    private static void PassThrough(StringBuilder s, List<Drhd> units, DmarLintContext context)
    {
        var known = units.Select(u => context.UnitRegisters?.TryGetValue(u.RegisterBase, out var r) == true ? (ulong?)r.Ecap : null).ToList();
        if (known.Any(e => e is null))
            s.Append("  - iommu=pt: hardware pass-through needs ECAP.PT on every unit; the table does not hold the registers (give --dmesg with the units' \"cap … ecap …\" lines). Without it the kernel builds software 1:1 page tables (si_domain).\n");
        else if (known.All(e => (e!.Value & EcapPassThrough) != 0))
            s.Append("  - iommu=pt: every unit has ECAP.PT, so identity devices use hardware pass-through (context entries of translation type 2).\n");
        else
            s.Append("  - iommu=pt: some unit lacks ECAP.PT, so the kernel builds software 1:1 page tables for si_domain (2.6.32+: hw_pass_through = 0 when any unit lacks it).\n");
    }

    private static void RmrrDevices(StringBuilder s, DmarTable t, DmarLintContext context)
    {
        var scopes = t.Structures.OfType<Rmrr>().SelectMany(r => r.DeviceScopes).Where(sc => sc.Type == DeviceScopeType.Endpoint).ToList();
        if (scopes.Count == 0) return;
        var pinned = scopes.Select(sc => Resolve(sc, context)).OfType<Bdf>().Distinct().Order().ToList();
        var unresolved = scopes.Where(sc => Resolve(sc, context) is null).Select(sc => sc.Describe()).Distinct().ToList();
        var names = pinned.Select(b => b.ToString()).Concat(unresolved);
        s.Append(CultureInfo.InvariantCulture, $"  - RMRR devices ({string.Join(", ", names)}): through 3.16 they can be given to a VM; from 3.17 (\"iommu/vt-d: Exclude devices using RMRRs from IOMMU API domains\") VFIO refuses them: \"Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor.\"\n");
        var relaxed = pinned.Select(b => (b, Class: ClassOf(b, context))).ToList();
        if (unresolved.Count > 0 || relaxed.Any(r => r.Class is null))
            s.Append("    from 5.3 (device_rmrr_is_relaxable) USB controllers and graphics devices are exempt again; which of these they are is not in the table (a kernel log with the PCI enumeration lines, --dmesg, tells).\n");
        else
        {
            var free = relaxed.Where(r => IsUsbOrGraphics(r.Class!.Value)).Select(r => r.b.ToString()).ToList();
            s.Append(CultureInfo.InvariantCulture, $"    from 5.3 (device_rmrr_is_relaxable) USB and graphics devices are exempt again: {(free.Count == 0 ? "none of these" : string.Join(", ", free))}.\n");
        }
    }

    private static uint? ClassOf(Bdf bdf, DmarLintContext context) =>
        context.PciDevices?.TryGetValue(bdf, out var facts) == true ? facts.ClassCode : null;

    /// <summary>PCI class 0x0c03 (USB) or base class 0x03 (display), as device_rmrr_is_relaxable tests them.</summary>
    private static bool IsUsbOrGraphics(uint classCode) => (classCode >> 8) == 0x0c03 || (classCode >> 16) == 0x03;

    private static void Bugs(StringBuilder s, DmarTable t, DmarLintContext context)
    {
        var findings = DmarLint.Run(t, context);
        var errors = findings.Count(f => f.Severity == DmarLintSeverity.Error);
        s.Append(CultureInfo.InvariantCulture, $"\nFirmware bugs (dmasim dmar lint): {errors} error(s), {findings.Count - errors} warning(s)\n");
        foreach (var f in findings)
            s.Append(CultureInfo.InvariantCulture, $"  {(f.Severity == DmarLintSeverity.Error ? "error" : "warning")} {f.Rule}: {f.Message}\n");
    }

    private static string Scope(DeviceScope sc) => sc.Type switch
    {
        DeviceScopeType.Endpoint => sc.Describe(),
        DeviceScopeType.Bridge => sc.Describe() + " and everything behind it",
        DeviceScopeType.IoApic => $"IOAPIC {sc.EnumerationId} ({sc.Describe()})",
        DeviceScopeType.Hpet => $"HPET {sc.EnumerationId} ({sc.Describe()})",
        DeviceScopeType.AcpiNamespace => $"ACPI namespace device {sc.EnumerationId} ({sc.Describe()})",
        _ => $"scope type {(byte)sc.Type} ({sc.Describe()})",
    };

    private static string Join(IEnumerable<string> items, string none)
    {
        var list = items.ToList();
        return list.Count == 0 ? none : string.Join(", ", list);
    }

    private static string Size(int bits) => Size(bits >= 64 ? ulong.MaxValue : 1UL << bits);

    private static string Size(ulong bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var i = 0;
        var v = (double)bytes;
        while (v >= 1024 && i < units.Length - 1) { v /= 1024; i++; }
        return v.ToString(v == Math.Floor(v) ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[i];
    }
}
