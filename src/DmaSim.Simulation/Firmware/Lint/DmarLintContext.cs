using System.Globalization;
using System.Text.RegularExpressions;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Simulation.Import;

namespace DmaSim.Simulation.Firmware;

/// <summary>What a log says about one PCI function: that it exists, and when known its header type, class and secondary bus.</summary>
public sealed record PciDeviceFacts(Bdf Bdf, int? HeaderType = null, uint? ClassCode = null, byte? SecondaryBus = null)
{
    /// <summary>Header type 0 is a normal device; 1 a PCI-to-PCI bridge; 2 a CardBus bridge (PCI spec; Linux PCI_HEADER_TYPE_*).</summary>
    public bool IsNormalHeader => (HeaderType & 0x7f) == 0;
}

/// <summary>
/// Optional facts about the machine beside its DMAR table: the e820 map, the PCI functions a boot log lists, and
/// the CAP/ECAP values each remapping unit returned. Rules that need a fact the context lacks are skipped.
/// </summary>
public sealed partial record DmarLintContext
{
    public E820Map? E820 { get; init; }
    public IReadOnlyDictionary<Bdf, PciDeviceFacts>? PciDevices { get; init; }

    /// <summary>CAP and ECAP read from each unit, by register base ("dmarN: reg_base_addr … cap … ecap …").</summary>
    public IReadOnlyDictionary<ulong, (ulong Cap, ulong Ecap)>? UnitRegisters { get; init; }

    /// <summary>No facts beyond the table.</summary>
    public static DmarLintContext None { get; } = new();

    /// <summary>
    /// Reads an e820 map from text: either "start end type" per line (hex with 0x or decimal; end inclusive; type
    /// usable, reserved, acpi, nvs, unusable or a number; '#' starts a comment), or the kernel's
    /// "BIOS-e820: [mem 0x…-0x…] type" lines. Other lines are errors in the simple form.
    /// </summary>
    /// <exception cref="InputException">A malformed line (named by line and column) or overlapping entries.</exception>
    public static E820Map ParseE820(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<E820Entry>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            var body = (hash >= 0 ? line[..hash] : line).Trim();
            if (body.Length == 0) continue;
            if (TryKernelE820(line, out var kernel)) { entries.Add(kernel); continue; }
            var parts = body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var col = line.Length - line.TrimStart().Length + 1;
            if (parts.Length != 3)
                throw new InputException(new SourceSpan(fileName, i + 1, col), "expected \"start end type\" (e.g. 0x100000 0xbfffffff usable)");
            if (!TryNumber(parts[0], out var start))
                throw new InputException(new SourceSpan(fileName, i + 1, col), $"\"{parts[0]}\" is not a number");
            if (!TryNumber(parts[1], out var end))
                throw new InputException(new SourceSpan(fileName, i + 1, line.IndexOf(parts[1], col - 1, StringComparison.Ordinal) + 1), $"\"{parts[1]}\" is not a number");
            if (end < start)
                throw new InputException(new SourceSpan(fileName, i + 1, col), $"end {Hex.Format(end)} is below start {Hex.Format(start)}");
            var typeCol = line.LastIndexOf(parts[2], StringComparison.Ordinal) + 1;
            var type = TypeFromName(parts[2]) ?? throw new InputException(new SourceSpan(fileName, i + 1, typeCol),
                $"unknown e820 type \"{parts[2]}\" (usable, reserved, acpi, nvs, unusable, or a number)");
            entries.Add(new E820Entry(new PhysRange(start, end), type));
        }
        return ToMap(entries, fileName);
    }

    /// <summary>
    /// The facts a kernel log holds, read by the importer's one log parser (<see cref="KernelLog"/>): the
    /// "BIOS-e820" map (null when absent), the PCI functions of the enumeration lines with header type, class and
    /// secondary bus, and each unit's CAP/ECAP from its "reg_base_addr" line. The device list is kept only when
    /// the log shows the PCI enumeration (an excerpt that merely mentions some devices would make every other
    /// scope look absent).
    /// </summary>
    /// <exception cref="InputException">A line the parser cannot take (named by line and column), or overlapping e820 lines.</exception>
    public static DmarLintContext FromDmesg(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var log = KernelLog.Parse(text, fileName);
        var e820 = log.E820.Select(e => new E820Entry(new PhysRange(e.Start, e.End), KernelType(e.Type))).ToList();
        var devices = new Dictionary<Bdf, PciDeviceFacts>();
        foreach (var d in log.Pci.Values.Where(d => d.Segment == 0 && d.Device <= 0x1f))
            devices[new Bdf(d.Bus, d.Device, d.Function)] = new PciDeviceFacts(new Bdf(d.Bus, d.Device, d.Function), d.HeaderType, d.ClassCode, d.SecondaryBus);
        var units = new Dictionary<ulong, (ulong, ulong)>();
        foreach (var u in log.Units) units[u.RegisterBase] = (u.Cap, u.Ecap);
        return new DmarLintContext
        {
            E820 = e820.Count == 0 ? null : ToMap(e820, fileName),
            PciDevices = devices.Values.Any(d => d.HeaderType is not null) ? devices : null,
            UnitRegisters = units.Count == 0 ? null : units,
        };
    }

    /// <summary>
    /// The context from an e820 file (<see cref="ParseE820"/>) and/or a kernel log (<see cref="FromDmesg"/>); either may be
    /// null. When both give an e820 map, the e820 file wins.
    /// </summary>
    /// <exception cref="InputException">A file cannot be read or is malformed.</exception>
    public static DmarLintContext FromFiles(string? e820Path, string? dmesgPath)
    {
        var context = dmesgPath is null ? None : FromDmesg(ReadText(dmesgPath), dmesgPath);
        return e820Path is null ? context : context with { E820 = ParseE820(ReadText(e820Path), e820Path) };
    }

    private static string ReadText(string path) => InputFiles.ReadText(path, "log", InputFiles.MaxLogBytes);

    private static E820Map ToMap(List<E820Entry> entries, string fileName)
    {
        try
        {
            // A log holding two boots repeats its map: identical lines are one entry.
            return new E820Map(entries.Distinct());
        }
        catch (ArgumentException e)
        {
            throw new InputException(new SourceSpan(fileName, 0, 0), e.Message);
        }
    }

    private static bool TryKernelE820(string line, out E820Entry entry)
    {
        entry = default;
        var m = KernelE820Line().Match(line);
        if (!m.Success) return false;
        var type = KernelType(m.Groups[3].Value);
        var start = ParseHex(m.Groups[1].Value);
        var end = ParseHex(m.Groups[2].Value);
        if (end < start) return false;
        entry = new E820Entry(new PhysRange(start, end), type);
        return true;
    }

    /// <summary>The e820 type words the kernel prints (arch/x86/kernel/e820.c e820_print_type), or "type N".</summary>
    private static E820Type KernelType(string printed) => printed.Trim() switch
    {
        "usable" => E820Type.Usable,
        "reserved" => E820Type.Reserved,
        "ACPI data" => E820Type.Acpi,
        "ACPI NVS" => E820Type.Nvs,
        "unusable" => E820Type.Unusable,
        var other when other.StartsWith("type ", StringComparison.Ordinal)
            && int.TryParse(other.AsSpan(5), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => (E820Type)n,
        _ => (E820Type)0,
    };

    private static E820Type? TypeFromName(string name) => name.ToUpperInvariant() switch
    {
        "USABLE" or "RAM" => E820Type.Usable,
        "RESERVED" => E820Type.Reserved,
        "ACPI" => E820Type.Acpi,
        "NVS" => E820Type.Nvs,
        "UNUSABLE" => E820Type.Unusable,
        _ => int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 256 ? (E820Type)n : null,
    };

    private static bool TryNumber(string text, out ulong value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static ulong ParseHex(string text) =>
        ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : 0;

    [GeneratedRegex(@"BIOS-e820: \[mem 0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\] (.+)$")]
    private static partial Regex KernelE820Line();




}
