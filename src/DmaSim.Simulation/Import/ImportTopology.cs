using DmaSim.Core;

namespace DmaSim.Simulation.Import;

/// <summary>A function the import writes: its scenario model, PCIe-ness, bridge bus, ACS and ids, and why.</summary>
public sealed record ImportedFunction(
    LoggedPciDevice Logged,
    string Model,
    bool Pcie,
    int? SecondaryBus,
    bool Acs,
    string Note)
{
    public string Bdf => Logged.Bdf;
    public bool IsBridge => SecondaryBus is not null;
}

/// <summary>
/// Rebuilds the PCI hierarchy from the log (and `lspci -vvv` when given): which functions are bridges
/// ("PCI bridge to [bus 02-03]"), what kind (PCIe root/switch port when the pcieport driver binds, a
/// PCIe-to-PCI bridge below a PCIe port, a conventional bridge when subtractive or on the root bus), which
/// endpoints are conventional PCI (behind a conventional bus), and ACS. Problems a log can have (two bridges
/// to one bus, a loop) are errors at the log line; doubtful spots are warnings.
/// </summary>
public static class ImportTopology
{
    /// <summary>
    /// Bridges whose kind and ACS a vendor:device id settles (QEMU's own devices, read in QEMU 7.2):
    /// hw/pci-bridge/gen_pcie_root_port.c (ACS at GEN_PCIE_ROOT_PORT_ACS_OFFSET), ioh3420.c (no ACS),
    /// xio3130_upstream.c, xio3130_downstream.c, pcie_pci_bridge.c, pci_bridge_dev.c, i82801b11.c (a DMI-to-PCI bridge
    /// without an Express capability). The xio3130 downstream port counts as without ACS: in the real 6.1 boots recorded
    /// under QEMU 7.2 (tests/oracle, every boot with VT-d) the function below each one shares the port's iommu group,
    /// which pci_device_group does only when pci_acs_path_enabled fails at that port.
    /// </summary>
    private static readonly Dictionary<string, (string Model, bool Acs, string Device)> _knownBridges = new(StringComparer.Ordinal)
    {
        ["1b36:000c"] = ("pcie-root-port", true, "QEMU pcie-root-port"),
        ["8086:3420"] = ("pcie-root-port", false, "QEMU ioh3420"),
        ["104c:8232"] = ("pcie-upstream-port", true, "QEMU x3130-upstream"),
        ["104c:8233"] = ("pcie-downstream-port", false, "QEMU xio3130-downstream"),
        ["1b36:000e"] = ("pcie-to-pci-bridge", false, "QEMU pcie-pci-bridge"),
        ["1b36:0001"] = ("pci-bridge", false, "QEMU pci-bridge (conventional)"),
        ["8086:244e"] = ("pci-bridge", false, "Intel 82801 DMI-to-PCI bridge"),
    };

    public static List<ImportedFunction> Build(KernelLog log, IReadOnlyDictionary<string, LspciFunction>? lspci, List<string> warnings)
    {
        var functions = log.Pci.Values.ToList();
        var bridges = functions.Where(f => f.SecondaryBus is not null).ToList();
        var provider = new Dictionary<int, LoggedPciDevice>();
        foreach (var b in bridges)
        {
            var at = b.BridgeAt!.Value;
            if (b.SecondaryBus == b.Bus || b.SecondaryBus == 0)
                throw Bad(log, at, $"{b.Bdf} is a bridge to bus {b.SecondaryBus:x2}, which cannot be below it");
            if (provider.TryGetValue(b.SecondaryBus!.Value, out var other))
                throw Bad(log, at, $"{b.Bdf} and {other.Bdf} (line {other.BridgeAt!.Value.Line}) both claim bus {b.SecondaryBus:x2}: not one boot of one machine");
            provider[b.SecondaryBus.Value] = b;
        }
        CheckLoops(log, functions, provider);
        var models = new Dictionary<string, (string Model, bool Acs, string Note)>(StringComparer.Ordinal);
        var pcieBelow = PcieBelow(functions, provider);
        var acsSeen = AcsFromGroups(functions);
        foreach (var b in bridges.OrderBy(b => Depth(b, provider)))
        {
            models[b.Bdf] = BridgeKind(b, provider, models, lspci, pcieBelow, functions);
            if (b.PortDriver && models[b.Bdf].Model is "pci-bridge" or "pcie-to-pci-bridge")
                warnings.Add($"{log.FileName}:{b.BridgeAt!.Value.Line}: warning: the pcieport driver bound to {b.Bdf}, but it sits below a conventional bus: imported as a conventional bridge");
        }
        var result = new List<ImportedFunction>();
        foreach (var f in functions)
        {
            if (models.TryGetValue(f.Bdf, out var m))
            {
                if (lspci?.ContainsKey(f.Bdf) != true && !(f.VendorDevice is { } id && _knownBridges.ContainsKey(id)) && acsSeen.TryGetValue(f.Bdf, out var seen))
                    m = (m.Model, true, m.Note.Replace(NoAcs, seen, StringComparison.Ordinal));
                result.Add(new ImportedFunction(f, m.Model, m.Model is not "pci-bridge", f.SecondaryBus, m.Acs, m.Note));
                if (!functions.Any(x => x.Bus == f.SecondaryBus))
                    warnings.Add($"{log.FileName}:{f.BridgeAt!.Value.Line}: warning: bridge {f.Bdf} leads to bus {f.SecondaryBus:x2}, but the log shows no device there (an empty slot, or a cut log)");
                continue;
            }
            if (f.HeaderType is 1)
                warnings.Add($"{log.FileName}:{f.FirstLine}: warning: {f.Bdf} has a bridge header but the log has no \"PCI bridge to [bus …]\" line for it: imported as an endpoint");
            var (pcie, note) = EndpointLink(f, provider, models, lspci);
            if (f.Bus != 0 && !provider.ContainsKey(f.Bus) && !log.RootBuses.Contains(f.Bus) && bridges.Count > 0)
                warnings.Add($"{log.FileName}:{f.FirstLine}: warning: {f.Bdf} is on bus {f.Bus:x2}, which no bridge in the log leads to: imported as behind an implicit root port");
            var acs = lspci?.GetValueOrDefault(f.Bdf)?.Acs;
            if (acs is null && acsSeen.TryGetValue(f.Bdf, out var isolated))
            {
                acs = true;
                note = note.Length == 0 ? isolated : $"{note}; {isolated}";
            }
            result.Add(new ImportedFunction(f, "scripted", pcie, null, acs ?? false, note));
        }
        return result;
    }

    private const string NoAcs = "ACS unknown without --lspci: assumed absent";

    /// <summary>
    /// The functions whose isolation the log's own iommu groups show, with why (drivers/iommu/iommu.c
    /// pci_device_group and get_pci_function_alias_or_group, read in 6.1). Below a bridge without ACS every
    /// function joins the bridge's group, so a bridge whose secondary bus holds functions of other groups has ACS.
    /// A multifunction function without ACS joins the group of an already grouped function of its slot that has
    /// none (functions are added in enumeration order), so one in another group than every such earlier function
    /// has ACS. "ACS" here includes the kernel's ACS quirk for the chip, which the simulation treats alike.
    /// </summary>
    private static Dictionary<string, string> AcsFromGroups(List<LoggedPciDevice> functions)
    {
        var acs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in functions.Where(f => IsolatesItsBus(f, functions)))
            acs[f.Bdf] = $"ACS: the log puts the functions of bus {f.SecondaryBus:x2} in other iommu groups than {f.Bdf}'s ({f.IommuGroup})";
        foreach (var slot in functions.Where(f => f.IommuGroup is not null).GroupBy(f => (f.Bus, f.Device)))
        {
            var earlier = new List<LoggedPciDevice>();
            foreach (var f in slot.OrderBy(f => f.Function))
            {
                if (!acs.ContainsKey(f.Bdf))
                {
                    if (earlier.Count > 0 && earlier.All(e => e.IommuGroup != f.IommuGroup))
                        acs[f.Bdf] = $"ACS: the log puts it in iommu group {f.IommuGroup}, apart from {earlier[0].Bdf} of its slot, which has none";
                    else earlier.Add(f);
                }
            }
        }
        return acs;
    }

    private static int Depth(LoggedPciDevice b, Dictionary<int, LoggedPciDevice> provider)
    {
        var depth = 0;
        for (var bus = (int)b.Bus; provider.TryGetValue(bus, out var up); bus = up.Bus) depth++;
        return depth;
    }

    private static void CheckLoops(KernelLog log, List<LoggedPciDevice> functions, Dictionary<int, LoggedPciDevice> provider)
    {
        foreach (var f in functions)
        {
            var seen = new HashSet<int>();
            for (var bus = (int)f.Bus; provider.TryGetValue(bus, out var up); bus = up.Bus)
            {
                if (!seen.Add(bus)) throw Bad(log, up.BridgeAt!.Value, $"the bridges above {f.Bdf} form a loop (bus {bus:x2} leads back to itself)");
            }
        }
    }

    /// <summary>
    /// The bridges with a sign of PCIe anywhere below them: a pcieport binding, a PCIe device type, a PCIe
    /// bandwidth line, or a bridge whose secondary bus the log's iommu groups keep apart from it (behind a
    /// conventional or PCIe-to-PCI bridge every function takes the bridge's requester id and shares its group).
    /// A PCIe function cannot sit below a conventional bus, so each of them is a PCIe port.
    /// </summary>
    private static HashSet<string> PcieBelow(List<LoggedPciDevice> functions, Dictionary<int, LoggedPciDevice> provider)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in functions.Where(f => f.PortDriver || f.PcieLink || f.DeviceType?.StartsWith("PCIe", StringComparison.Ordinal) == true
                     || IsolatesItsBus(f, functions)))
            for (var bus = (int)f.Bus; provider.TryGetValue(bus, out var up) && result.Add(up.Bdf); bus = up.Bus) { }
        return result;
    }

    /// <summary>A bridge whose secondary bus holds functions in other iommu groups than its own (the log's group lines).</summary>
    private static bool IsolatesItsBus(LoggedPciDevice f, List<LoggedPciDevice> functions) =>
        f.SecondaryBus is { } bus && f.IommuGroup is { } group && functions.Any(x => x.Bus == bus && x.IommuGroup is { } g && g != group);

    /// <summary>The bridge model a device type line names (drivers/pci/probe.c prints it in newer kernels).</summary>
    private static string? ModelOfType(string? type) => type switch
    {
        "PCIe Root Port" => "pcie-root-port",
        "PCIe Switch Upstream Port" => "pcie-upstream-port",
        "PCIe Switch Downstream Port" => "pcie-downstream-port",
        "PCIe to PCI/PCI-X bridge" => "pcie-to-pci-bridge",
        "conventional PCI bridge" or "PCI/PCI-X to PCIe bridge" => "pci-bridge",
        _ => null,
    };

    private static (string Model, bool Acs, string Note) BridgeKind(LoggedPciDevice b, Dictionary<int, LoggedPciDevice> provider,
        Dictionary<string, (string Model, bool Acs, string Note)> known, IReadOnlyDictionary<string, LspciFunction>? lspci, HashSet<string> pcieBelow,
        List<LoggedPciDevice> functions)
    {
        var parent = provider.GetValueOrDefault(b.Bus);
        var parentModel = parent is null ? null : known.GetValueOrDefault(parent.Bdf).Model;
        if (lspci?.GetValueOrDefault(b.Bdf) is { } l)
        {
            var model = LspciDump.BridgeModel(l.ExpressType) ?? "pci-bridge";
            return (model, l.Acs, $"lspci line {l.Line}: {(l.ExpressType is null ? "no Express capability" : "Express " + l.ExpressType)}, {(l.AcsCapability ? l.Acs ? "ACS enabled" : "ACS present but not all of SV/RR/CR/UF on" : "no ACS capability")}");
        }
        if (b.VendorDevice is { } id && _knownBridges.TryGetValue(id, out var k))
            return (k.Model, k.Acs, $"[{id}] is {k.Device}: {(k.Acs ? "ACS" : "no ACS")}");
        if (ModelOfType(b.DeviceType) is { } typed)
            return (typed, false, $"the log's enumeration line says \"{b.DeviceType}\"; {NoAcs}");
        if (b.SubtractiveDecode)
            return ("pci-bridge", false, "subtractive decode: a conventional (DMI/hub-to-PCI) bridge");
        var conventionalAbove = parentModel is "pci-bridge" or "pcie-to-pci-bridge";
        if (!conventionalAbove && (b.PortDriver || b.PcieLink || pcieBelow.Contains(b.Bdf) || IsolatesItsBus(b, functions) || parent is null
                || parentModel is "pcie-upstream-port"))
        {
            var model = parentModel switch
            {
                null => "pcie-root-port",
                "pcie-root-port" or "pcie-downstream-port" => "pcie-upstream-port",
                _ => "pcie-downstream-port",
            };
            var why = b.PortDriver ? "pcieport bound: a PCIe port"
                : b.PcieLink ? "a PCIe bandwidth line names its link: a PCIe port"
                : pcieBelow.Contains(b.Bdf) || IsolatesItsBus(b, functions) ? "PCIe below it (pcieport, a PCIe device type or bandwidth line, or iommu groups apart from it): a PCIe port"
                : parentModel is "pcie-upstream-port" ? "on a switch's internal bus, where only downstream ports sit"
                : "on a root bus, not subtractive, no pcieport line (older kernels print one only for ports with a service): a PCIe root port, as on every VT-d chipset";
            return (model, false, $"{why}; {model} from its place in the tree; {NoAcs}");
        }
        return parentModel is "pcie-root-port" or "pcie-downstream-port"
            ? ("pcie-to-pci-bridge", false, "below a PCIe port, nothing PCIe below it and no pcieport driver: a PCIe-to-PCI/PCI-X bridge")
            : ("pci-bridge", false, "below a conventional bus: a conventional PCI-to-PCI bridge");
    }

    private static (bool Pcie, string Note) EndpointLink(LoggedPciDevice f, Dictionary<int, LoggedPciDevice> provider,
        Dictionary<string, (string Model, bool Acs, string Note)> models, IReadOnlyDictionary<string, LspciFunction>? lspci)
    {
        if (lspci?.GetValueOrDefault(f.Bdf) is { } l)
            return (l.ExpressType is not null, l.ExpressType is null ? "conventional PCI (lspci: no Express capability)" : $"PCIe {l.ExpressType} (lspci)");
        if (provider.TryGetValue(f.Bus, out var up) && models.GetValueOrDefault(up.Bdf).Model is "pci-bridge" or "pcie-to-pci-bridge")
            return (false, $"conventional PCI: behind {up.Bdf}");
        if (f.DeviceType is { } type)
            return (type.StartsWith("PCIe", StringComparison.Ordinal), $"the log's enumeration line says \"{type}\"");
        return (true, "");
    }

    private static InputException Bad(KernelLog log, LogLine at, string problem) => new(new SourceSpan(log.FileName, at.Line, at.Column), problem);

    /// <summary>
    /// An lspci dump must describe the machine of the log: ids that differ are an error at the lspci line;
    /// ids the log does not print are taken from the dump.
    /// </summary>
    public static void CrossCheck(KernelLog log, IReadOnlyDictionary<string, LspciFunction> lspci, string lspciPath, List<string> warnings)
    {
        var matched = 0;
        foreach (var l in lspci.Values.OrderBy(l => l.Line))
        {
            var logged = log.Pci.Values.FirstOrDefault(p => p.Bdf == l.Bdf);
            if (logged is null)
            {
                warnings.Add($"{lspciPath}:{l.Line}: warning: {l.Bdf} is not in the log {Path.GetFileName(log.FileName)}: ignored");
                continue;
            }
            if (l.VendorDevice is { } id && logged.VendorDevice is { } lid && id != lid)
                throw new InputException(new SourceSpan(lspciPath, l.Line, 1), $"{l.Bdf} is [{id}] here but [{lid}] in the log (line {logged.FirstLine}): an lspci dump of another machine");
            // A log excerpt without the enumeration line: the dump's ids name the chip (i915's masks, mptsas).
            logged.VendorDevice ??= l.VendorDevice;
            matched++;
        }
        if (matched == 0)
            throw new InputException(new SourceSpan(lspciPath, lspci.Values.Min(l => l.Line), 1), $"none of its {lspci.Count} functions is in the log: an lspci dump of another machine");
    }
}
