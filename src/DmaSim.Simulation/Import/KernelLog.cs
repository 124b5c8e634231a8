using System.Globalization;
using System.Text.RegularExpressions;
using DmaSim.Core;

namespace DmaSim.Simulation.Import;

/// <summary>One line of the log that the import used, with where it was (1-based line and column of the message).</summary>
public readonly record struct LogLine(int Line, int Column, string Text);

/// <summary>An e820 entry as the log printed it (inclusive end) and the kernel's type name.</summary>
public sealed record LoggedE820(ulong Start, ulong End, string Type, LogLine At);

/// <summary>A DMAR-parse line of the log, in order: what kind, its values, and the text after the "DMAR: " prefix.</summary>
public sealed record LoggedDmarEntry(string Kind, ulong A, ulong B, string Name, LogLine At);

/// <summary>alloc_iommu's line for one unit: register base, VER major:minor, CAP, ECAP.</summary>
public sealed record LoggedUnit(ulong RegisterBase, int VerMajor, int VerMinor, ulong Cap, ulong Ecap, LogLine At);

/// <summary>A PCI function the log names: its ids and class when probed, its driver when one printed.</summary>
public sealed class LoggedPciDevice(ushort segment, byte bus, byte device, byte function)
{
    public ushort Segment { get; } = segment;
    public byte Bus { get; } = bus;
    public byte Device { get; } = device;
    public byte Function { get; } = function;
    public string? VendorDevice { get; set; }
    public uint? ClassCode { get; set; }

    /// <summary>The class is 0x060100 because iommu_prepare_isa's LPC unity map named the function (no class line for it).</summary>
    public bool ClassFromLpcLine { get; set; }

    /// <summary>The streaming and coherent mask widths the driver printed it got (megaraid_sas), and where.</summary>
    public (int Streaming, int Coherent, LogLine At)? Masks { get; set; }
    public int? HeaderType { get; set; }
    public byte? SecondaryBus { get; set; }
    public string? Driver { get; set; }
    public int? IommuGroup { get; set; }
    public LogLine? GroupAt { get; set; }
    public int FirstLine { get; init; }

    /// <summary>The PCIe port driver bound (a "pcieport" line): the function is a root or switch port.</summary>
    public bool PortDriver { get; set; }

    /// <summary>"PCI bridge to [bus 05] (subtractive decode)": a transparent, conventional bridge.</summary>
    public bool SubtractiveDecode { get; set; }

    /// <summary>Where the "PCI bridge to" line was.</summary>
    public LogLine? BridgeAt { get; set; }

    /// <summary>
    /// The device type printed after the class on the enumeration line by newer kernels ("PCIe Root Port",
    /// "PCIe Switch Upstream Port", "conventional PCI endpoint", …), or null.
    /// </summary>
    public string? DeviceType { get; set; }

    /// <summary>A "… available PCIe bandwidth" line names this function, as itself or as the link that limits another: it has a PCIe link.</summary>
    public bool PcieLink { get; set; }

    public string Bdf => $"{Bus:x2}:{Device:x2}.{Function}";
}

/// <summary>"Setting identity map for device 0000:01:04.0 [0xdf63e000 - 0xdf63ffff]": an RMRR (or the LPC unity map) given to a device.</summary>
public sealed record LoggedIdentityMap(string Bdf, ulong Start, ulong End, LogLine At);

/// <summary>A DMA remapping fault record the kernel printed: the requester (bb:dd.f), the address, read or write.</summary>
public sealed record LoggedFault(string Bdf, ulong Address, bool IsRead, LogLine At);

/// <summary>
/// What a kernel log says about the machine (dmesg, with or without timestamps or a syslog prefix): the
/// release, the command line, the e820 map, the DMAR parse lines, and the PCI functions and drivers it
/// names. Only the first boot of a log that holds several is read.
/// </summary>
public sealed partial class KernelLog
{
    private static readonly HashSet<string> _notDrivers = new(StringComparer.Ordinal)
    {
        "pci", "pci_bus", "iommu", "DMAR", "dmar", "pcieport", "acpiphp", "shpchp", "pci-dma", "usb", "ACPI",
    };

    public string FileName { get; private init; } = "";
    public string? Version { get; private set; }
    public LogLine? VersionAt { get; private set; }
    public string? Cmdline { get; private set; }
    public List<LoggedE820> E820 { get; } = [];
    public int? HostAddressWidth { get; private set; }
    public LogLine? HostAddressWidthAt { get; private set; }
    public List<LoggedDmarEntry> Dmar { get; } = [];
    public List<LoggedUnit> Units { get; } = [];
    public List<LoggedIdentityMap> IdentityMaps { get; } = [];

    /// <summary>
    /// Interrupt remapping's scope lines ("DMAR-IR: IOAPIC id 8 under DRHD base  0xa5ffc000 IOMMU 4", "… HPET id 0 under DRHD
    /// base 0xa5ffc000"): the unit's register base, whether it is an HPET, the enumeration id, in log order.
    /// </summary>
    public List<(ulong Base, bool IsHpet, int Id)> InterruptScopes { get; } = [];

    private readonly List<int> _invalidationUnitNumbers = [];
    private readonly List<ulong> _invalidationUnitBases = [];

    /// <summary>
    /// The register bases of the units init_dmars printed an invalidation line for ("DMAR: dmar0: Using Queued invalidation",
    /// "IOMMU: dmar0 using …", "IOMMU 0 0xfed90000: using …", "IOMMU 0xfed90000: using …"); a unit named by number is
    /// the unit line of that number (dmarN is the N-th unit alloc_iommu met). Empty when the log prints none.
    /// </summary>
    public IReadOnlySet<ulong> UnitsWithInvalidationLine() =>
        _invalidationUnitBases.Concat(_invalidationUnitNumbers.Where(n => n < Units.Count).Select(n => Units[n].RegisterBase)).ToHashSet();

    /// <summary>DMAR fault records, in every era's wording (one or two lines, with or without PASID / NO_PASID, 0x or not).</summary>
    public List<LoggedFault> Faults { get; } = [];

    /// <summary>
    /// Functions that switched their group to a DMA domain at probe, before any driver bound ("pci BDF: Using iommu dma
    /// mapping", 5.3 – 5.7 intel_iommu_add_device): with an identity default that is device_def_domain_type asking
    /// for DMA, which for a PCIe endpoint means an RMRR names it (device_is_rmrr_locked) or it is untrusted.
    /// </summary>
    public List<string> ProbeDmaDomain { get; } = [];

    /// <summary>Functions that took a private domain at probe ("pci BDF: DMAR: Device uses a private identity|dma domain.", 5.3 – 5.7).</summary>
    public HashSet<string> PrivateDomain { get; } = [];

    /// <summary>The function iommu_prepare_isa mapped 0–16 MiB for: the identity-map line right after "Prepare 0-16MiB unity mapping for LPC".</summary>
    public string? LpcBridge { get; private set; }
    private bool _lpcLinePending;
    public SortedDictionary<(ushort, byte, byte, byte), LoggedPciDevice> Pci { get; } = [];

    /// <summary>Buses of segment 0 that a host bridge leads to ("PCI host bridge to bus 0000:16", or an ACPI root bridge's first bus).</summary>
    public SortedSet<byte> RootBuses { get; } = [];

    /// <summary>The same buses in the order the log first names them (the order the kernel scanned them), with that line.</summary>
    public List<(byte Bus, int Line)> RootBusOrder { get; } = [];

    /// <summary>The DMAR lines' prefix as printed ("DMAR: ", "dmar: ", "DMAR:"), if any were seen.</summary>
    public string? DmarPrefix { get; private set; }

    /// <summary>Signs that DMA remapping was active in this boot (lines that only print with translation on).</summary>
    public bool RemappingActive { get; private set; }

    /// <summary>The default domain type the IOMMU core reported ("Translated", "Passthrough"), if any.</summary>
    public string? DefaultDomainType { get; private set; }

    /// <summary>The type line ends "(set via kernel command line)": iommu=pt/nopt or iommu.passthrough= chose it, not the build.</summary>
    public bool DefaultDomainTypeViaCmdline { get; private set; }

    /// <summary>"iommu: DMA domain TLB invalidation policy: strict|lazy mode" (5.14+), or null.</summary>
    public string? InvalidationPolicy { get; private set; }

    /// <summary>The policy line ends "(set via kernel command line)": iommu.strict= chose it.</summary>
    public bool InvalidationPolicyViaCmdline { get; private set; }

    /// <summary>"DMAR: Intel-IOMMU force enabled due to platform opt in": the kernel's VT-d was off by default and the firmware forced it on.</summary>
    public bool PlatformOptInForced { get; private set; }

    public bool SecondBootIgnored { get; private set; }

    /// <summary>
    /// "DMAR-IR: This system BIOS has enabled interrupt remapping on a chipset that contains an erratum …": the
    /// 5500/5520/X58 erratum made the kernel refuse interrupt remapping (intel_prepare_irq_remapping), or null.
    /// </summary>
    public LogLine? IrqRemappingErratumAt { get; private set; }

    /// <summary>
    /// A line that only an x2APIC-capable CPU prints (interrupt remapping in x2apic mode, its opt-out or EIM refusal, the
    /// x86 "x2apic enabled" lines), or null.
    /// </summary>
    public LogLine? X2ApicEvidenceAt { get; private set; }

    /// <summary>Interrupt remapping's "x2apic is disabled because BIOS sets x2apic opt out bit." line: the table's X2APIC_OPT_OUT flag, or null.</summary>
    public LogLine? X2ApicOptOutAt { get; private set; }

    /// <summary>Where the kernel said it refused the DMAR table ("Your BIOS is broken; DMAR reported at address …", "Parse DMAR table failure."), if it did.</summary>
    public LogLine? TableRefusedAt { get; private set; }

    /// <summary>Reads a log; a line that starts like a DMAR line but does not parse is an error at FILE:LINE:COL.</summary>
    public static KernelLog Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var log = new KernelLog { FileName = fileName };
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i].TrimEnd('\r');
            if (raw.StartsWith('#')) continue;
            var (message, column) = StripPrefix(raw);
            if (message is null) continue;
            if (!log.Read(new LogLine(i + 1, column, message))) break;
        }
        return log;
    }

    /// <summary>Drops "[    0.123456] " and a syslog "Mon DD HH:MM:SS host kernel: " prefix; null for continuation lines.</summary>
    private static (string? Message, int Column) StripPrefix(string raw)
    {
        var m = Prefix().Match(raw);
        if (m.Success && m.Length > 0) return (raw[m.Length..], m.Length + 1);
        // Without timestamps (dmesg -t): a continuation line starts with white space.
        return raw.Length == 0 || char.IsWhiteSpace(raw[0]) && !raw.TrimStart().StartsWith("BIOS-e820", StringComparison.Ordinal)
            ? (null, 0)
            : (raw, 1);
    }

    private bool Read(LogLine at)
    {
        var s = at.Text;
        if (RootBus().Match(s) is { Success: true } rb)
        {
            var (segment, bus) = rb.Groups[1].Success ? (rb.Groups[1].Value, rb.Groups[2].Value) : (rb.Groups[3].Value, rb.Groups[4].Value);
            var number = byte.Parse(bus, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (segment.TrimStart('0').Length == 0 && RootBuses.Add(number)) RootBusOrder.Add((number, at.Line));
            return true;
        }
        if (VersionLine().Match(s) is { Success: true } v)
        {
            if (Version is not null) { SecondBootIgnored = true; return false; }
            Version = v.Groups[1].Value;
            VersionAt = at;
            return true;
        }
        if (X2ApicLine().IsMatch(s))
        {
            X2ApicEvidenceAt ??= at;
            if (s.Contains("opt out bit", StringComparison.Ordinal) || s.Contains("requested that x2apic be disabled", StringComparison.Ordinal)) X2ApicOptOutAt ??= at;
            return true;
        }
        if (s.EndsWith("This system BIOS has enabled interrupt remapping", StringComparison.Ordinal))
        {
            IrqRemappingErratumAt ??= at;
            return true;
        }
        if (s == "DMAR: Intel-IOMMU force enabled due to platform opt in")
        {
            PlatformOptInForced = true;
            RemappingActive = true;
            return true;
        }
        if (s.StartsWith("Command line: ", StringComparison.Ordinal)) { Cmdline ??= s["Command line: ".Length..].Trim(); return true; }
        if (s.TrimStart().StartsWith("BIOS-e820:", StringComparison.Ordinal)) { ReadE820(at); return true; }
        if (s.StartsWith("pci 0000:", StringComparison.Ordinal) && s.EndsWith(": Using iommu dma mapping", StringComparison.Ordinal))
        {
            ProbeDmaDomain.Add(s["pci 0000:".Length..^": Using iommu dma mapping".Length]);
            return true;
        }
        if (s.StartsWith("pci 0000:", StringComparison.Ordinal) && (s.EndsWith(": DMAR: Device uses a private identity domain.", StringComparison.Ordinal)
            || s.EndsWith(": DMAR: Device uses a private dma domain.", StringComparison.Ordinal)))
        {
            PrivateDomain.Add(s["pci 0000:".Length..("pci 0000:".Length + 7)]);
            return true;
        }
        if (s.EndsWith("Prepare 0-16MiB unity mapping for LPC", StringComparison.Ordinal))
        {
            _lpcLinePending = true;
            return true;
        }
        if (s.Contains("Setting identity map", StringComparison.Ordinal) && IdentityMapOf(s) is { Success: true } im)
        {
            IdentityMaps.Add(new LoggedIdentityMap(im.Groups[1].Value, Hex(im.Groups[2]), Hex(im.Groups[3]), at));
            if (_lpcLinePending && Hex(im.Groups[2]) == 0) LpcBridge = im.Groups[1].Value;
            _lpcLinePending = false;
            RemappingActive = true;
            return true;
        }
        if (s.Contains("Intel(R) Virtualization Technology for Directed I/O", StringComparison.Ordinal)
            || s.StartsWith("DMAR: IOMMU enabled", StringComparison.Ordinal))
        {
            RemappingActive = true;
            return true;
        }
        if (FaultRecord().Match(s) is { Success: true } fr)
        {
            Faults.Add(new LoggedFault($"{fr.Groups[2].Value}:{fr.Groups[3].Value}.{fr.Groups[4].Value}", Hex(fr.Groups[5]), fr.Groups[1].Value == "Read", at));
            RemappingActive = true;
            return true;
        }
        if (InterruptScopeLine().Match(s) is { Success: true } ir)
        {
            InterruptScopes.Add((Hex(ir.Groups[3]), ir.Groups[1].Value == "HPET", Int(ir.Groups[2])));
            return true;
        }
        if (InvalidationLine().Match(s) is { Success: true } inv)
        {
            if (inv.Groups[1].Success || inv.Groups[2].Success) _invalidationUnitNumbers.Add(Int(inv.Groups[inv.Groups[1].Success ? 1 : 2]));
            else _invalidationUnitBases.Add(Hex(inv.Groups[3]));
            RemappingActive = true;
            return true;
        }
        if (DmarLine().Match(s) is { Success: true } d) { ReadDmar(at, d.Groups[1].Value, s[d.Length..]); return true; }
        if (LegacyUnit().Match(s) is { Success: true } lu)
        {
            Units.Add(new LoggedUnit(Hex(lu.Groups[1]), Int(lu.Groups[2]), Int(lu.Groups[3]), Hex(lu.Groups[4]), Hex(lu.Groups[5]), at));
            return true;
        }
        if (s.StartsWith("iommu: Default domain type: ", StringComparison.Ordinal))
        {
            DefaultDomainType = s["iommu: Default domain type: ".Length..].Trim().Split(' ')[0];
            DefaultDomainTypeViaCmdline = s.Contains("(set via kernel command line)", StringComparison.Ordinal);
            return true;
        }
        if (s.StartsWith("iommu: DMA domain TLB invalidation policy: ", StringComparison.Ordinal))
        {
            InvalidationPolicy = s["iommu: DMA domain TLB invalidation policy: ".Length..].Trim().Split(' ')[0];
            InvalidationPolicyViaCmdline = s.Contains("(set via kernel command line)", StringComparison.Ordinal);
            return true;
        }
        if (OldGroup().Match(s) is { Success: true } og)
        {
            // 4.x: "iommu: Adding device 0000:00:1d.0 to group 26".
            if (Device(at, og.Groups[1].Value, og.Groups[2].Value, og.Groups[3].Value, og.Groups[4].Value) is { } od)
            {
                od.IommuGroup = GroupNumber(at, og.Groups[5]);
                od.GroupAt = at;
            }
            RemappingActive = true;
            return true;
        }
        // Drivers that name the function inside the message: "nvme nvme0: pci function 0000:02:00.0",
        // "sym0: <895a> rev 0x0 at pci 0000:07:02.0 irq 23".
        if (OwnedBy().Match(s) is { Success: true } ob)
        {
            var driver = ob.Groups[1].Success ? ob.Groups[1].Value : "sym53c8xx";
            if (Device(at, ob.Groups[2].Value, ob.Groups[3].Value, ob.Groups[4].Value, ob.Groups[5].Value) is { } od) od.Driver ??= driver;
            return true;
        }
        ReadPci(at);
        return true;
    }

    private void ReadE820(LogLine at)
    {
        var s = at.Text.TrimStart();
        var indent = at.Text.Length - s.Length;
        if (E820Modern().Match(s) is { Success: true } m)
        {
            E820.Add(new LoggedE820(Hex(m.Groups[1]), Hex(m.Groups[2]), E820Type(at, m.Groups[3], indent), at));
            return;
        }
        // 2.6.3x e820_print_map: " BIOS-e820: 0000000000000000 - 000000000009f800 (usable)", end exclusive.
        if (E820Legacy().Match(s) is { Success: true } l)
        {
            var end = Hex(l.Groups[2]);
            if (end == 0) throw Bad(at, "e820 entry ends at 0");
            E820.Add(new LoggedE820(Hex(l.Groups[1]), end - 1, E820Type(at, l.Groups[3], indent), at));
            return;
        }
        throw Bad(at, "BIOS-e820 line is neither \"[mem 0x…-0x…] type\" nor \"start - end (type)\"");
    }

    /// <summary>
    /// The type as arch/x86/kernel/e820.c e820_print_type names it (read in 6.1; 2.6.3x used the same words):
    /// anything else is a line the log did not print as it stands (cut, or re-encoded by a mailer).
    /// </summary>
    private string E820Type(LogLine at, Group type, int indent)
    {
        var name = type.Value.Trim();
        if (name is "usable" or "reserved" or "soft reserved" or "ACPI data" or "ACPI NVS" or "unusable" || E820Numbered().IsMatch(name)) return name;
        throw Bad(at with { Column = at.Column + indent + type.Index },
            $"e820 type '{name}' is not one the kernel prints (usable, reserved, soft reserved, ACPI data, ACPI NVS, unusable, persistent (type N), type N): a cut or re-encoded line?");
    }

    private void ReadDmar(LogLine at, string prefix, string rest)
    {
        if (rest.StartsWith("[Firmware Bug]: Your BIOS is broken; DMAR reported at address", StringComparison.Ordinal)
            || rest.StartsWith("Parse DMAR table failure", StringComparison.OrdinalIgnoreCase))
        {
            TableRefusedAt ??= at;
            return;
        }
        DmarPrefix ??= prefix;
        var inner = at with { Column = at.Column + prefix.Length };
        if (rest.StartsWith("Host address width", StringComparison.Ordinal))
        {
            var m = Haw().Match(rest);
            if (!m.Success) throw Bad(inner, "malformed 'Host address width' line");
            HostAddressWidth ??= Int(m.Groups[1]);
            HostAddressWidthAt ??= at;
            return;
        }
        (string Kind, Regex Pattern)[] kinds =
        [
            ("DRHD", Drhd()), ("RMRR", Rmrr()), ("ATSR", Atsr()), ("RHSA", Rhsa()), ("ANDD", Andd()), ("SATC", Satc()),
        ];
        foreach (var (kind, pattern) in kinds)
        {
            if (!rest.StartsWith(kind + " ", StringComparison.Ordinal)) continue;
            var m = pattern.Match(rest);
            if (!m.Success) throw Bad(inner, $"malformed {kind} line");
            var b = m.Groups.Count > 2 && m.Groups[2].Success && kind != "ANDD" ? Hex(m.Groups[2]) : 0;
            var name = kind == "ANDD" ? m.Groups[2].Value : "";
            Dmar.Add(new LoggedDmarEntry(kind, Hex(m.Groups[1]), b, name, at));
            return;
        }
        if (rest.Contains("reg_base_addr", StringComparison.Ordinal))
        {
            var m = UnitLine().Match(rest);
            if (!m.Success) throw Bad(inner, "malformed unit line (expected 'dmarN: reg_base_addr X ver M:N cap C ecap E')");
            Units.Add(new LoggedUnit(Hex(m.Groups[1]), Int(m.Groups[2]), Int(m.Groups[3]), Hex(m.Groups[4]), Hex(m.Groups[5]), at));
        }
    }

    private void ReadPci(LogLine at)
    {
        var s = at.Text;
        var m = DeviceLine().Match(s);
        if (!m.Success) return;
        var who = m.Groups[1].Value;
        if (Device(at, m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value, m.Groups[5].Value) is not { } dev) return;
        var tail = s[m.Length..];
        if (who == "pci")
        {
            if (Header().Match(tail) is { Success: true } h)
            {
                dev.VendorDevice = h.Groups[1].Value;
                dev.HeaderType = int.Parse(h.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                dev.ClassCode = uint.Parse(h.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (h.Groups[4].Success) dev.DeviceType = h.Groups[4].Value;
            }
            if (Bandwidth().Match(tail) is { Success: true } bw)
            {
                // pcie_print_link_status: printed only for PCIe functions; "at" names the port whose link limits it.
                dev.PcieLink = true;
                if (bw.Groups[1].Success && Device(at, bw.Groups[1].Value, bw.Groups[2].Value, bw.Groups[3].Value, bw.Groups[4].Value) is { } link) link.PcieLink = true;
            }
            if (Bridge().Match(tail) is { Success: true } b)
            {
                dev.SecondaryBus = byte.Parse(b.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                dev.SubtractiveDecode |= tail.Contains("(subtractive decode)", StringComparison.Ordinal);
                dev.BridgeAt ??= at;
            }
            if (Group().Match(tail) is { Success: true } g)
            {
                dev.IommuGroup = GroupNumber(at with { Column = at.Column + m.Length }, g.Groups[1]);
                dev.GroupAt = at;
                RemappingActive = true;
            }
            return;
        }
        if (who == "pcieport") dev.PortDriver = true;
        if (!_notDrivers.Contains(who)) dev.Driver ??= who;
        // megasas_set_dma_mask: dev_info("%s bit DMA mask and %s bit consistent mask") — the masks the driver got.
        if (LoggedMasks().Match(tail) is { Success: true } mm)
            dev.Masks ??= (Int(mm.Groups[1]), Int(mm.Groups[2]), at);
    }

    /// <summary>The function at segment:bus:dev.fn, created on first mention; null outside segment 0 (counted in <see cref="OtherSegmentFunctions"/>).</summary>
    private LoggedPciDevice? Device(LogLine at, string segment, string bus, string device, string function)
    {
        var seg = int.Parse(segment, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var key = ((ushort)0, byte.Parse(bus, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            byte.Parse(device, NumberStyles.HexNumber, CultureInfo.InvariantCulture), (byte)(function[0] - '0'));
        if (key.Item3 > 0x1f) return null;
        if (seg != 0)
        {
            OtherSegmentFunctions.Add($"{segment}:{bus}:{device}.{function}");
            return null;
        }
        if (!Pci.TryGetValue(key, out var dev))
        {
            dev = new LoggedPciDevice(0, key.Item2, key.Item3, key.Item4) { FirstLine = at.Line };
            Pci.Add(key, dev);
        }
        return dev;
    }

    /// <summary>Functions outside PCI segment 0 (e.g. behind a VMD domain): not imported, named in a comment.</summary>
    public SortedSet<string> OtherSegmentFunctions { get; } = new(StringComparer.Ordinal);

    private InputException Bad(LogLine at, string problem) => new(new SourceSpan(FileName, at.Line, at.Column), problem);

    private static ulong Hex(Group g) => ulong.Parse(g.Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static int Int(Group g) => int.Parse(g.Value, CultureInfo.InvariantCulture);

    /// <summary>An iommu group number: Linux's group ids are ints from an IDA; anything wider is not a real log.</summary>
    private int GroupNumber(LogLine at, Group g)
    {
        if (g.Value.Length > 9 || !int.TryParse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw Bad(at with { Column = at.Column + g.Index }, $"iommu group number {g.Value} is out of range");
        return n;
    }

    // What stands before the message, each part optional: a syslog/journal "Oct 19 09:57:07 host kernel: " (any
    // month case, as journalctl prints it in the user's locale) or journalctl -o short-iso's
    // "2024-01-13T14:17:13+0100 host kernel: "; dmesg -x's "kern  :info  : "; a console or pstore record's
    // "<6>" level; the timestamp "[    0.123456]" (with CONFIG_PRINTK_CALLER's "[    T1]" after it) or dmesg -T's
    // "[Fri May  1 09:46:33 2026]".
    [GeneratedRegex(@"^(?:[A-Za-z]{3} +\d{1,2} \d\d:\d\d:\d\d \S+ kernel: |\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[+-]\d\d:?\d\d|Z)? \S+ kernel: )?(?:[a-z]+ *:[a-z]+ *: )?(?:<\d>)?(?:\[ *\d+\.\d+\](?:\[ *[TC]\d+\])? |\[[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \d{4}\] )?")]
    private static partial Regex Prefix();

    [GeneratedRegex(@"^: (\d{2}) bit DMA mask and (\d{2}) bit consistent mask$")]
    private static partial Regex LoggedMasks();

    // A log pasted through a forum or mailer may have its spaces doubled ("Linux  version 4.8.0-32-generic").
    [GeneratedRegex(@"^Linux +version +(\S+)")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"^BIOS-e820: \[mem 0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\] (.+)$")]
    private static partial Regex E820Modern();

    [GeneratedRegex(@"^BIOS-e820: ([0-9a-fA-F]{1,16}) - ([0-9a-fA-F]{1,16}) \((.+)\)$")]
    private static partial Regex E820Legacy();

    [GeneratedRegex(@"^(DMAR: ?|dmar: )")]
    private static partial Regex DmarLine();

    [GeneratedRegex(@"^Host address width (\d{1,2})$")]
    private static partial Regex Haw();

    // dmar_fault_do_one, 2.6.32 – 6.x: "DMAR:[DMA Read] Request device [02:00.0] fault addr bdf83000 ", "DMAR: [DMA Read] Request device
    // [02:00.0] PASID ffffffff fault addr bdf83000 [fault reason 06] …", "DMAR: [DMA Read NO_PASID] Request device [0x02:0x00.0] fault addr 0x…".
    [GeneratedRegex(@"\[DMA (Read|Write)(?: NO_PASID| PASID 0x[0-9a-f]+)?\] Request device \[(?:0x)?([0-9a-f]{2}):(?:0x)?([0-9a-f]{2})\.([0-7])\](?: PASID [0-9a-f]+)? fault addr (?:0x)?([0-9a-f]{1,16})")]
    private static partial Regex FaultRecord();

    [GeneratedRegex(@"^DRHD base: 0x([0-9a-f]{1,16}) flags: 0x([0-9a-f]{1,2})$")]
    private static partial Regex Drhd();

    [GeneratedRegex(@"^RMRR base: 0x([0-9a-f]{1,16}) end: 0x([0-9a-f]{1,16})$")]
    private static partial Regex Rmrr();

    [GeneratedRegex(@"^ATSR flags: 0x([0-9a-f]{1,2})$")]
    private static partial Regex Atsr();

    [GeneratedRegex(@"^RHSA base: 0x([0-9a-f]{1,16}) proximity domain: 0x([0-9a-f]{1,8})$")]
    private static partial Regex Rhsa();

    [GeneratedRegex(@"^ANDD device: ([0-9a-f]{1,2}) name: (.*)$")]
    private static partial Regex Andd();

    [GeneratedRegex(@"^SATC flags: 0x([0-9a-f]{1,2})$")]
    private static partial Regex Satc();

    [GeneratedRegex(@"^(?:DMAR: dmar(\d+): Using|IOMMU: dmar(\d+) using|IOMMU (?:\d+ )?0x([0-9a-f]{1,16}): using) (?:Queued|Register based) invalidation$")]
    private static partial Regex InvalidationLine();

    [GeneratedRegex(@"^(?:DMAR-IR: )?(IOAPIC|HPET) id (\d{1,3}) under DRHD base +0x([0-9a-f]{1,16})(?: IOMMU \d+)?$")]
    private static partial Regex InterruptScopeLine();

    [GeneratedRegex(@"^(?:dmar\d+|IOMMU \d+): reg_base_addr ([0-9a-f]{1,16}) ver (\d{1,2}):(\d{1,2}) cap ([0-9a-f]{1,16}) ecap ([0-9a-f]{1,16})$")]
    private static partial Regex UnitLine();

    [GeneratedRegex(@"^IOMMU ([0-9a-f]{1,16}): ver (\d{1,2}):(\d{1,2}) cap ([0-9a-f]{1,16}) ecap ([0-9a-f]{1,16})$")]
    private static partial Regex LegacyUnit();

    private static Match IdentityMapOf(string s) => IdentityMap().Match(s) is { Success: true } m ? m : DeviceIdentityMap().Match(s);

    [GeneratedRegex(@"(?:DMAR|IOMMU): Setting identity map for device ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) \[0x([0-9a-f]{1,16}) - 0x([0-9a-f]{1,16})\]")]
    private static partial Regex IdentityMap();

    // 5.x: dev_info from the private-domain path, prefixed by the driver or bus name, without "for device"
    // ("pci 0000:06:00.0: DMAR: Setting identity map [0xe8000 - 0xe8fff]", HP DL388p Gen8, 5.4).
    [GeneratedRegex(@"^\S+ ([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): (?:DMAR: )?Setting identity map \[0x([0-9a-f]{1,16}) - 0x([0-9a-f]{1,16})\]")]
    private static partial Regex DeviceIdentityMap();

    [GeneratedRegex(@"^(\S+) ([0-9a-f]{4,5}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])")]
    private static partial Regex DeviceLine();

    [GeneratedRegex(@"^(?:(nvme) nvme\d+: pci function |sym\d+: <[^>]+> rev 0x[0-9a-f]+ at pci )([0-9a-f]{4,5}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])")]
    private static partial Regex OwnedBy();

    [GeneratedRegex(@"^: \[([0-9a-f]{4}:[0-9a-f]{4})\] type ([0-9a-f]{2}) class 0x([0-9a-f]{6})(?: (PCIe [A-Za-z /-]+|conventional PCI (?:endpoint|bridge)|PCI/PCI-X to PCIe bridge))?")]
    private static partial Regex Header();

    [GeneratedRegex(@"^: [0-9.]+ Gb/s available PCIe bandwidth(?:, limited by .* at ([0-9a-f]{4,5}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]))?")]
    private static partial Regex Bandwidth();

    // pci_acpi_scan_root / pci_create_root_bus: "PCI host bridge to bus 0000:16"; older kernels only print the ACPI
    // root bridge, "ACPI: PCI Root Bridge [PC01] (domain 0000 [bus 16-63])".
    [GeneratedRegex(@"^(?:pci_bus \S+: )?(?:PCI host bridge to bus ([0-9a-f]{4,5}):([0-9a-f]{2})|ACPI: PCI Root Bridge \[\S+\] \(domain ([0-9a-f]{4,5}) \[bus ([0-9a-f]{2})-)")]
    private static partial Regex RootBus();

    [GeneratedRegex(@"^(?:persistent \()?type \d{1,3}\)?$")]
    private static partial Regex E820Numbered();

    [GeneratedRegex(@"PCI bridge to \[bus ([0-9a-f]{2})")]
    private static partial Regex Bridge();

    // drivers/iommu/intel/irq_remapping.c (4.2+) and arch/x86/kernel/apic/apic.c: lines only an x2APIC-capable CPU prints.
    [GeneratedRegex(@"^(?:DMAR-IR: )?(?:Enabled IRQ remapping in x2apic mode|x2apic is disabled because BIOS sets x2apic opt out bit|Your BIOS is broken and requested that x2apic be disabled|dmar\d+ does not support EIM|Queued invalidation will be enabled to support x2apic)|^x2apic:? enabled(?: by BIOS)?")]
    private static partial Regex X2ApicLine();

    [GeneratedRegex(@"^: Adding to iommu group (\d+)")]
    private static partial Regex Group();

    [GeneratedRegex(@"^iommu: Adding device ([0-9a-f]{4,5}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) to group (\d+)")]
    private static partial Regex OldGroup();
}
