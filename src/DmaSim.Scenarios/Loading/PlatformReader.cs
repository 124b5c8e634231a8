using System.Collections.Immutable;
using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>Reads `platform:`: address width, e820 map, firmware faults, devices, then the IOMMU (which names devices).</summary>
internal static class PlatformReader
{
    private static readonly string[] _keys = ["physical-address-bits", "memory", "iommu", "firmware-faults", "devices", "root-buses", "x2apic"];

    private static readonly string[] _deviceKeys =
        ["bdf", "name", "model", "pcie", "address-bits", "descriptor-address-bits", "firmware-dma", "secondary-bus", "driver", "acs", "pci-id", "external-facing", "class"];

    /// <summary>Keys that describe a DMA engine, meaningless on a bridge, which only forwards.</summary>
    private static readonly string[] _endpointOnlyKeys = ["address-bits", "descriptor-address-bits", "firmware-dma", "driver", "class"];

    public static (PlatformConfig Platform, DeviceIndex Devices) Read(YNode node, string scenarioFile)
    {
        var m = Map(node, "platform", _keys);
        // x86 MAXPHYADDR is at most 52 (Intel SDM vol. 3A, 4.1.4); below 32 no real CPU exists.
        var bits = Bits(m.Required("physical-address-bits"), "physical-address-bits", 32, 52);
        var memory = ReadMemory(m.Required("memory"), bits);
        var faultsNode = m.Get("firmware-faults");
        var faults = ReadFaults(faultsNode);
        var devices = ReadDevices(m.Get("devices"));
        CheckTopology(devices);
        var rootBuses = ReadRootBuses(m.Get("root-buses"), devices);
        var index = new DeviceIndex(devices);
        var iommuNode = m.Get("iommu");
        var iommu = iommuNode is null ? new NoIommu(m.Span) : IommuReader.Read(iommuNode, bits, index, scenarioFile);
        CheckFirmwareDma(devices, iommu);
        // dmar-init-failure is "the table is found, then init fails": without a table there is nothing to fail.
        if (iommu is NoIommu && faults.Length > 0)
            throw Error(faultsNode!.Span, $"firmware fault {Vocabulary.FirmwareFaults.NameOf(faults[0])} needs a DMAR table; give the platform an iommu");
        var x2apic = m.Get("x2apic") is { } x && Flag(x, "x2apic");
        return (new PlatformConfig(bits, memory, iommu, faults, devices, m.Span) { RootBuses = rootBuses, X2Apic = x2apic }, index);
    }

    private static ImmutableArray<MemoryRegion> ReadMemory(YNode node, int bits)
    {
        var items = List(node, "memory");
        if (items.Count == 0) throw Error(node.Span, "memory needs at least one e820 entry");
        var regions = ImmutableArray.CreateBuilder<MemoryRegion>(items.Count);
        foreach (var item in items)
        {
            var e = Map(item, "e820 entry", "start", "end", "type");
            var range = Range(e, bits);
            var type = Word(e.Required("type"), "memory type", ContractWords.MemoryTypes);
            // The kernel sanitises overlapping e820 entries; a scenario states the result, so an overlap is a typo.
            foreach (var earlier in regions)
            {
                if (earlier.Range.Overlaps(range))
                    throw Error(e.Span, $"e820 entry {range} overlaps {earlier.Range} (line {earlier.Span.Line})");
            }
            regions.Add(new MemoryRegion(range, type, e.Span));
        }
        if (!regions.Any(r => r.Type == MemoryType.Usable)) throw Error(node.Span, "memory has no usable entry; the kernel needs RAM to boot");
        return regions.MoveToImmutable();
    }

    /// <summary>
    /// `root-buses`: the root buses in the order the kernel scans them; a bus a bridge leads to is not a root bus.
    /// </summary>
    private static ImmutableArray<byte> ReadRootBuses(YNode? node, ImmutableArray<DeviceConfig> devices)
    {
        if (node is null) return [];
        var buses = ImmutableArray.CreateBuilder<byte>();
        foreach (var item in List(node, "root-buses"))
        {
            var bus = (byte)Int(item, "root bus", 0, 255);
            if (buses.Contains(bus)) throw Error(item.Span, $"root bus {bus:x2} is listed twice");
            if (devices.FirstOrDefault(d => d.IsBridge && d.SecondaryBus == bus) is { } bridge)
                throw Error(item.Span, $"bus {bus:x2} is the secondary bus of '{bridge.Name}' (line {bridge.Span.Line}), not a root bus");
            buses.Add(bus);
        }
        return buses.ToImmutable();
    }

    private static ImmutableArray<FirmwareFault> ReadFaults(YNode? node)
    {
        if (node is null) return [];
        var faults = ImmutableArray.CreateBuilder<FirmwareFault>();
        foreach (var item in List(node, "firmware-faults"))
        {
            var fault = Word(item, "firmware fault", Vocabulary.FirmwareFaults);
            if (faults.Contains(fault)) throw Error(item.Span, $"firmware fault '{Vocabulary.FirmwareFaults.NameOf(fault)}' is listed twice");
            faults.Add(fault);
        }
        return faults.ToImmutable();
    }

    private static ImmutableArray<DeviceConfig> ReadDevices(YNode? node)
    {
        if (node is null) return [];
        var devices = ImmutableArray.CreateBuilder<DeviceConfig>();
        foreach (var item in List(node, "devices"))
        {
            var device = ReadDevice(item);
            foreach (var other in devices)
            {
                if (other.Name == device.Name)
                    throw Error(device.Span, $"duplicate device name '{device.Name}' (first at line {other.Span.Line})");
                if (other.Bdf == device.Bdf)
                    throw Error(device.Span, $"duplicate BDF {device.Bdf}: '{other.Name}' (line {other.Span.Line}) is already there");
            }
            devices.Add(device);
        }
        return devices.ToImmutable();
    }

    private static DeviceConfig ReadDevice(YNode node)
    {
        var m = Map(node, "device", _deviceKeys);
        var bdf = Bdf(m.Required("bdf"), "bdf");
        var name = Name(m.Required("name"), "device name");
        var model = Word(m.Required("model"), "device model", ContractWords.DeviceModels);
        var pcie = m.Get("pcie") is { } p ? Flag(p, "pcie") : true;
        var modelName = ContractWords.DeviceModels.NameOf(model);
        var acs = m.Get("acs") is { } a && Flag(a, "acs");
        var pciId = m.Get("pci-id") is { } id ? PciId(id) : null;
        if (Vocabulary.IsBridge(model))
        {
            foreach (var key in _endpointOnlyKeys)
            {
                if (m.KeyNode(key) is { } k) throw Error(k.Span, $"key '{key}' does not apply to a {modelName}: bridges forward DMA, they do not originate it");
            }
            // Bus 0 is the root bus the host bridge provides; no bridge can provide it again.
            var secondary = Int(m.Required("secondary-bus"), "secondary-bus", 1, 255);
            if (secondary == bdf.Bus) throw Error(m.Get("secondary-bus")!.Span, $"secondary-bus {secondary} is the bus the bridge itself sits on");
            var external = m.Get("external-facing") is { } ef && Flag(ef, "external-facing");
            return new DeviceConfig(bdf, name, model, pcie, 0, 0, FirmwareDmaKind.None, secondary, null, m.Span) { Acs = acs, PciId = pciId, ExternalFacing = external };
        }

        if (m.KeyNode("secondary-bus") is { } sb) throw Error(sb.Span, $"key 'secondary-bus' does not apply to a {modelName}; only bridges have a secondary bus");
        // 24 bits is ISA-era DMA, the narrowest the kernel's zones model (ZONE_DMA < 16 MiB).
        var addressBits = Bits(m.Required("address-bits"), "address-bits", 24, 64);
        var descriptorBits = m.Get("descriptor-address-bits") is { } d ? Bits(d, "descriptor-address-bits", 24, 64) : addressBits;
        var firmwareDma = m.Get("firmware-dma") is { } f ? Word(f, "firmware-dma", Vocabulary.FirmwareDma) : FirmwareDmaKind.None;
        // `driver: none`: no driver binds, so nothing maps for the device and the default workload leaves it idle.
        var noDriver = m.Get("driver") is { } dn && Text(dn, "driver") == "none";
        var driver = !noDriver && m.Get("driver") is { } dr ? CatalogueDriver(dr) : null;
        var driverString = driver is null ? null : Text(m.Get("driver")!, "driver");
        // A log that does not show the port's bridge lines imports it as an endpoint; the flag still counts.
        var externalEndpoint = m.Get("external-facing") is { } efe && Flag(efe, "external-facing");
        // The 24-bit class code (base class, sub-class, prog-if) the kernel reads at enumeration, e.g. 0x0c0320 EHCI.
        var classCode = m.Get("class") is { } c ? (uint)Int(c, "class", 0, 0xffffff) : (uint?)null;
        return new DeviceConfig(bdf, name, model, pcie, addressBits, descriptorBits, firmwareDma, null, driver, m.Span) { Acs = acs, PciId = pciId, ExternalFacing = externalEndpoint, ClassCode = classCode, NoDriver = noDriver, DriverString = driverString };
    }

    /// <summary>`pci-id: "vvvv:dddd"` as lspci -nn and the kernel log print it.</summary>
    private static (ushort, ushort)? PciId(YNode node)
    {
        var text = Text(node, "pci-id");
        if (text.Length == 9 && text[4] == ':'
            && ushort.TryParse(text.AsSpan(0, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var v)
            && ushort.TryParse(text.AsSpan(5, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var d))
            return (v, d);
        throw Error(node.Span, $"pci-id '{text}' is not vendor:device in hex (e.g. \"8086:3b42\")");
    }

    /// <summary>
    /// A device sits behind the bridge whose secondary bus is its bus. A bus no declared bridge provides hangs
    /// off an implicit root port of the host bridge (as `03:00.0` in DESIGN.md's example), so it is allowed.
    /// </summary>
    private static void CheckTopology(ImmutableArray<DeviceConfig> devices)
    {
        var providers = new Dictionary<int, DeviceConfig>();
        foreach (var bridge in devices.Where(d => d.IsBridge))
        {
            var bus = bridge.SecondaryBus!.Value;
            if (providers.TryGetValue(bus, out var other))
                throw Error(bridge.Span, $"bus {bus:x2} is already the secondary bus of '{other.Name}' (line {other.Span.Line})");
            providers.Add(bus, bridge);
        }

        foreach (var device in devices)
        {
            if (providers.TryGetValue(device.Bdf.Bus, out var parent) && parent.Model == DeviceKind.PcieToPciBridge && device.Pcie)
                throw Error(device.Span, $"'{device.Name}' sits behind PCIe-to-PCI bridge '{parent.Name}', so it is conventional PCI: add 'pcie: false'");

            // Walk towards the root; coming back to a bus already seen means the bridges form a loop.
            var seen = new HashSet<int>();
            for (var bus = (int)device.Bdf.Bus; providers.TryGetValue(bus, out var up); bus = up.Bdf.Bus)
            {
                if (!seen.Add(bus))
                    throw Error(device.Span, $"'{device.Name}' is not reachable from the root bus: the bridges above bus {device.Bdf.Bus:x2} form a loop");
            }
        }
    }

    /// <summary>Firmware DMA goes to the device's RMRR, so an inline IOMMU must give it one.</summary>
    private static void CheckFirmwareDma(ImmutableArray<DeviceConfig> devices, IommuConfig iommu)
    {
        if (iommu is not InlineIommu inline) return;
        foreach (var device in devices.Where(d => d.FirmwareDma == FirmwareDmaKind.Rmrr))
        {
            if (!inline.Rmrr.Any(r => r.Devices.Contains(device.Bdf)))
                throw Error(device.Span, $"'{device.Name}' has firmware-dma: rmrr, but no RMRR lists {device.Bdf}");
        }
    }

    /// <summary>`driver:` names an entry of the driver catalogue (Catalogue/drivers-dma-masks.csv).</summary>
    private static string CatalogueDriver(YNode node)
    {
        var name = Name(node, "driver");
        if (DriverCatalogue.TryGet(name, out var entry)) return entry.Name;
        var hint = Suggest(name, DriverCatalogue.Names);
        throw Error(node.Span, hint is null
            ? $"unknown driver '{name}'; the catalogue knows: {string.Join(", ", DriverCatalogue.Names)}"
            : $"unknown driver '{name}' (did you mean '{hint}'?)");
    }
}

/// <summary>The declared devices by name and by BDF; references may use either.</summary>
internal sealed class DeviceIndex(ImmutableArray<DeviceConfig> devices)
{
    public ImmutableArray<DeviceConfig> All => devices;

    /// <summary>A device reference: a device name or its BDF.</summary>
    public DeviceConfig Resolve(YNode node, string what)
    {
        var text = Text(node, what);
        var found = devices.FirstOrDefault(d => d.Name == text)
            ?? (PciBdf.TryParse(text, out var bdf) ? devices.FirstOrDefault(d => d.Bdf == bdf) : null);
        if (found is not null) return found;
        var hint = Suggest(text, devices.Select(d => d.Name));
        var known = devices.IsEmpty ? "none are declared" : "declared: " + string.Join(", ", devices.Select(d => d.Name));
        throw Error(node.Span, hint is null ? $"unknown device '{text}' ({known})" : $"unknown device '{text}' (did you mean '{hint}'?)");
    }

    /// <summary>A device that originates DMA: bridges cannot take drivers, jobs or ops.</summary>
    public DeviceConfig ResolveEndpoint(YNode node, string what)
    {
        var device = Resolve(node, what);
        return device.IsBridge
            ? throw Error(node.Span, $"'{device.Name}' is a {ContractWords.DeviceModels.NameOf(device.Model)}; bridges do no DMA of their own")
            : device;
    }
}
