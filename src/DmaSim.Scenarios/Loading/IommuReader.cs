using System.Collections.Immutable;
using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>Reads `platform.iommu`: `none`, `{ dmar-table: FILE }`, or an inline VT-d description.</summary>
internal static class IommuReader
{
    private static readonly string[] _keys =
        ["host-address-width", "units", "rmrr", "dmar-table", "registers", "platform-opt-in", "x2apic-opt-out", .. DmarExtrasReader.Keys];

    private static readonly string[] _unitKeys =
    [
        "base", "include-pci-all", "pass-through", "sagaw", "devices",
        "caching-mode", "queued-invalidation", "coherent", "fault-recording-registers", "cap", "ecap", "ver", "devices-present", "ioapic", "hpet",
    ];

    /// <summary>Unit keys that are fields of CAP/ECAP: a unit given by its raw registers cannot also set them.</summary>
    private static readonly string[] _registerFieldKeys =
        ["pass-through", "sagaw", "caching-mode", "queued-invalidation", "coherent", "fault-recording-registers"];

    /// <summary>CAP.SAGAW bits 0–4 stand for 30-, 39-, 48-, 57- and 64-bit tables; 64 is reserved (VT-d spec 11.4.2).</summary>
    private static readonly int[] _sagawWidths = [30, 39, 48, 57];

    private static readonly ImmutableArray<int> _defaultSagaw = [39, 48];

    public static IommuConfig Read(YNode node, int physBits, DeviceIndex devices, string scenarioFile)
    {
        if (node is YScalar s)
        {
            return !s.IsNull && s.Value == "none"
                ? new NoIommu(s.Span)
                : throw Error(s.Span, $"iommu must be 'none', {{ dmar-table: FILE }} or a mapping with units, not {s.Describe()}");
        }

        var m = Map(node, "iommu", _keys);
        if (m.Get("dmar-table") is { } table)
        {
            if (m.Keys.FirstOrDefault(k => k is not ("dmar-table" or "registers")) is { } other)
                throw Error(m.KeyNode(other)!.Span, $"'{other}' cannot be combined with 'dmar-table': the table file describes the whole IOMMU");
            var path = Text(table, "dmar-table");
            var folder = Path.GetDirectoryName(Path.GetFullPath(scenarioFile)) ?? "";
            var registers = m.Get("registers") is { } rg ? ReadRegisterList(rg, physBits) : [];
            return new DmarTableIommu(path, Path.GetFullPath(Path.Combine(folder, path)), table.Span) { Registers = registers };
        }
        if (m.KeyNode("registers") is { } stray)
            throw Error(stray.Span, "'registers' goes with 'dmar-table'; an inline unit takes cap/ecap/ver itself");

        // DMAR HAW is a 6-bit field holding width − 1; real tables say 36 to 46, so 32 is a safe floor.
        var haw = Bits(m.Required("host-address-width"), "host-address-width", 32, 64);
        var units = ReadUnits(m.Required("units"), physBits, devices);
        // An imported machine (every unit given by its real registers) may carry RMRRs whose devices the
        // kernel log did not name; elsewhere an RMRR must name a device.
        var imported = units.All(u => u.Registers is not null);
        var rmrr = m.Get("rmrr") is { } r ? ReadRmrr(r, physBits, devices, imported) : [];
        var optIn = m.Get("platform-opt-in") is { } o && Flag(o, "platform-opt-in");
        var optOut = m.Get("x2apic-opt-out") is { } x && Flag(x, "x2apic-opt-out");
        var extras = DmarExtrasReader.Read(m, physBits, units);
        return new InlineIommu(haw, units, rmrr, m.Span) { PlatformOptIn = optIn, X2ApicOptOut = optOut, Extras = extras };
    }

    private static ImmutableArray<IommuUnit> ReadUnits(YNode node, int physBits, DeviceIndex devices)
    {
        var items = List(node, "units");
        if (items.Count == 0) throw Error(node.Span, "units needs at least one remapping unit (or write 'iommu: none')");
        var units = ImmutableArray.CreateBuilder<IommuUnit>(items.Count);
        foreach (var item in items)
        {
            var unit = ReadUnit(item, physBits, devices);
            foreach (var other in units)
            {
                if (other.Base == unit.Base)
                    throw Error(unit.Span, $"two units at base {unit.Base} (the other at line {other.Span.Line})");
                // The VT-d spec allows one INCLUDE_PCI_ALL unit per PCI segment (8.3).
                if (other.IncludePciAll && unit.IncludePciAll)
                    throw Error(unit.Span, $"a second include-pci-all unit (the first at line {other.Span.Line}); a segment has one");
                foreach (var bdf in unit.Devices)
                {
                    if (other.Devices.Contains(bdf))
                        throw Error(unit.Span, $"{bdf} is already in the scope of the unit at line {other.Span.Line}");
                }
            }
            units.Add(unit);
        }
        return units.MoveToImmutable();
    }

    private static IommuUnit ReadUnit(YNode node, int physBits, DeviceIndex devices)
    {
        var m = Map(node, "unit", _unitKeys);
        var baseNode = m.Required("base");
        var at = Address(baseNode, "base", physBits);
        if (at.PageOffset != 0) throw Error(baseNode.Span, $"unit base {at} is not 4KiB-aligned (register sets start on a page)");
        var includeAll = m.Get("include-pci-all") is { } ia && Flag(ia, "include-pci-all");
        var passThrough = m.Get("pass-through") is { } pt && Flag(pt, "pass-through");
        var sagaw = m.Get("sagaw") is { } sg ? ReadSagaw(sg) : _defaultSagaw;
        var scope = m.Get("devices") is { } dv ? ReadScope(dv, devices, "unit") : [];
        var registers = ReadUnitRegisters(m);
        if (includeAll && !scope.IsEmpty)
            throw Error(m.Get("devices")!.Span, "an include-pci-all unit covers every device no other unit lists; give it no devices");
        // An imported unit may say `devices: []`: the kernel log shows the unit, not its scope.
        if (!includeAll && scope.IsEmpty && !(registers is not null && m.Has("devices")))
            throw Error(m.Span, "unit covers no device: set include-pci-all: true or list devices");
        // devices-present: false — an imported unit whose scope the log does not show, but which the log shows the kernel
        // ignoring (no invalidation line): no device of its scope was present at boot.
        var present = m.Get("devices-present") is not { } dp || Flag(dp, "devices-present");
        if (!present && (includeAll || !scope.IsEmpty))
            throw Error(m.KeyNode("devices-present")!.Span, "'devices-present: false' describes a unit of unknown scope ('devices: []'); a listed or include-pci-all scope says itself what is present");
        var cachingMode = m.Get("caching-mode") is { } cm && Flag(cm, "caching-mode");
        var qi = m.Get("queued-invalidation") is not { } q || Flag(q, "queued-invalidation");
        var coherent = m.Get("coherent") is not { } c || Flag(c, "coherent");
        // CAP.NFR is 8 bits holding count − 1.
        var nfr = m.Get("fault-recording-registers") is { } n ? Int(n, "fault-recording-registers", 1, 256) : 8;
        if (registers is not null)
        {
            // The raw registers decide what the simulated unit supports; keep the record's fields consistent.
            passThrough = (registers.Ecap & (1UL << 6)) != 0;       // ECAP.PT
            qi = (registers.Ecap & (1UL << 1)) != 0;                // ECAP.QI
            coherent = (registers.Ecap & 1UL) != 0;                 // ECAP.C
            cachingMode = (registers.Cap & (1UL << 7)) != 0;        // CAP.CM
            nfr = (int)((registers.Cap >> 40) & 0xff) + 1;          // CAP.NFR
            var sagawBits = (int)((registers.Cap >> 8) & 0x1f);     // CAP.SAGAW
            sagaw = SagawOf(registers.Cap);
        }
        return new IommuUnit(at, includeAll, passThrough, sagaw, scope, cachingMode, qi, coherent, nfr, m.Span)
        {
            Registers = registers,
            NoPresentDevices = !present,
            IoApicIds = m.Get("ioapic") is { } ia2 ? EnumerationIds(ia2, "ioapic") : [],
            HpetIds = m.Get("hpet") is { } hp ? EnumerationIds(hp, "hpet") : [],
        };
    }

    /// <summary>`ioapic:` / `hpet:` — the enumeration ids of the unit's IOAPIC and HPET scope entries (one byte each, no repeats).</summary>
    private static ImmutableArray<int> EnumerationIds(YNode node, string what)
    {
        var ids = ImmutableArray.CreateBuilder<int>();
        foreach (var item in List(node, what))
        {
            var id = Int(item, what + " id", 0, 255);
            if (ids.Contains(id)) throw Error(item.Span, $"{what} id {id} is listed twice");
            ids.Add(id);
        }
        return ids.ToImmutable();
    }

    /// <summary>`cap:`, `ecap:` (raw 64-bit values) and `ver:` ("major:minor", default 1:0) of a real unit; all or none of cap/ecap.</summary>
    private static UnitRegisters? ReadUnitRegisters(MapReader m, PhysAddr? at = null)
    {
        var cap = m.Get("cap");
        var ecap = m.Get("ecap");
        if (cap is null && ecap is null)
        {
            if (m.KeyNode("ver") is { } v) throw Error(v.Span, "'ver' needs 'cap' and 'ecap': it describes a unit given by its registers");
            return null;
        }
        if (cap is null || ecap is null) throw Error(m.Span, $"{m.What} needs both 'cap' and 'ecap' (the raw registers, as the kernel prints them)");
        if (m.What == "unit" && _registerFieldKeys.FirstOrDefault(m.Has) is { } field)
            throw Error(m.KeyNode(field)!.Span, $"'{field}' cannot be combined with 'cap'/'ecap': the register values decide it");
        var (major, minor) = m.Get("ver") is { } ver ? ReadVersion(ver) : (1, 0);
        var registers = new UnitRegisters(at, RawRegister(cap, "cap"), RawRegister(ecap, "ecap"), major, minor, m.Span);
        if (OnlyTwoLevel(SagawOf(registers.Cap)))
            throw Error(m.Span, $"cap {registers.Cap:x}: SAGAW offers 2-level tables and no 3- or 4-level ones, so a 2.6.3x driver would pick 2 levels; that is not modelled (docs/limits.md)");
        return registers;
    }

    private static ulong RawRegister(YNode node, string what)
    {
        // Written as the kernel prints it ("%llx"): hex, with or without 0x.
        var text = Text(node, what);
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (digits.Length is 0 or > 16 || !digits.All(char.IsAsciiHexDigit))
            throw Error(node.Span, $"{what} must be a 64-bit hex value as the kernel prints it (e.g. c90780106f0462), not '{text}'");
        return ulong.Parse(digits, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static (int Major, int Minor) ReadVersion(YNode node)
    {
        var text = Text(node, "ver");
        var parts = text.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var minor)
            && major is >= 0 and <= 15 && minor is >= 0 and <= 15)
            return (major, minor);
        throw Error(node.Span, $"ver must be major:minor as the kernel prints it (e.g. \"1:0\"), each 0..15, not '{text}'");
    }

    private static ImmutableArray<UnitRegisters> ReadRegisterList(YNode node, int physBits)
    {
        var list = ImmutableArray.CreateBuilder<UnitRegisters>();
        foreach (var item in List(node, "registers"))
        {
            var m = Map(item, "registers entry", "base", "cap", "ecap", "ver");
            var at = Address(m.Required("base"), "base", physBits);
            var regs = ReadUnitRegisters(m, at)
                ?? throw Error(m.Span, "registers entry needs 'cap' and 'ecap'");
            if (list.FirstOrDefault(x => x.Base == at) is { } earlier)
                throw Error(m.Span, $"registers for base {at} are already given at line {earlier.Span.Line}");
            list.Add(regs);
        }
        return list.ToImmutable();
    }

    private static ImmutableArray<int> ReadSagaw(YNode node)
    {
        var items = List(node, "sagaw");
        if (items.Count == 0) throw Error(node.Span, "sagaw needs at least one supported width");
        var widths = ImmutableArray.CreateBuilder<int>(items.Count);
        foreach (var item in items)
        {
            var width = Int(item, "sagaw width", 0, 64);
            if (!_sagawWidths.Contains(width))
                throw Error(item.Span, $"sagaw width {width} is not one VT-d defines; use {string.Join(", ", _sagawWidths)}");
            if (widths.Contains(width)) throw Error(item.Span, $"sagaw width {width} is listed twice");
            widths.Add(width);
        }
        if (OnlyTwoLevel(widths))
            throw Error(node.Span, "sagaw: 30 without 39 or 48 (2-level tables, a 1 GiB address space) is not modelled; add 39 or 48");
        return widths.MoveToImmutable();
    }

    /// <summary>
    /// A driver looks for the widest table at or below its default width (48 in 2.6.3x,
    /// __iommu_calculate_agaw); when that is 30, domains get 2-level tables (1 GiB), which the
    /// simulated page tables do not model (docs/limits.md).
    /// </summary>
    private static ImmutableArray<int> SagawOf(ulong cap)
    {
        var bits = (int)((cap >> 8) & 0x1f); // CAP.SAGAW
        return [.. _sagawWidths.Where((_, i) => (bits & (1 << i)) != 0)];
    }

    private static bool OnlyTwoLevel(IEnumerable<int> widths) => widths.Contains(30) && !widths.Any(w => w is 39 or 48);

    private static ImmutableArray<PciBdf> ReadScope(YNode node, DeviceIndex devices, string what)
    {
        var scope = ImmutableArray.CreateBuilder<PciBdf>();
        foreach (var item in List(node, "devices"))
        {
            var device = devices.Resolve(item, $"{what} device");
            if (scope.Contains(device.Bdf)) throw Error(item.Span, $"{device.Bdf} ('{device.Name}') is listed twice");
            scope.Add(device.Bdf);
        }
        return scope.ToImmutable();
    }

    private static ImmutableArray<RmrrEntry> ReadRmrr(YNode node, int physBits, DeviceIndex devices, bool imported)
    {
        var entries = ImmutableArray.CreateBuilder<RmrrEntry>();
        foreach (var item in List(node, "rmrr"))
        {
            var m = Map(item, "rmrr entry", "start", "end", "devices");
            var range = Range(m, physBits);
            // VT-d spec 8.4: the base is 4KiB-aligned and the limit ends a 4KiB page.
            if (range.Start.PageOffset != 0 || range.End.PageOffset != PhysAddr.PageSize - 1)
                throw Error(m.Span, $"RMRR {range} does not cover whole 4KiB pages (start ends in 000, end in fff)");
            // No size bound: an RMRR's identity map keeps whole GiBs of leaf tables as their rule (sparse), so a
            // 16 TiB RMRR costs what a few MiB one does (docs/limits.md).
            var scope = ReadScope(m.Required("devices"), devices, "RMRR");
            if (scope.IsEmpty && !imported) throw Error(m.Get("devices")!.Span, "an RMRR needs at least one device");
            entries.Add(new RmrrEntry(range.Start, range.End, scope, m.Span));
        }
        return entries.ToImmutable();
    }
}
