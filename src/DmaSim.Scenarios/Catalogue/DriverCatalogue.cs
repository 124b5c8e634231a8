using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DmaSim.Scenarios;

/// <summary>
/// One driver of the catalogue: the masks it asks for at probe, when, and where that is in the kernel.
/// <see cref="StreamingMaskBits"/> and <see cref="CoherentMaskBits"/> are the principal case — the first
/// number of the catalogue's field ("64 (fallback 32)" → 64, "same" → the streaming value); the full field
/// text stays in <see cref="StreamingText"/> / <see cref="CoherentText"/> and the condition in <see cref="Condition"/>.
/// </summary>
public sealed record DriverEntry(
    string Name,
    ImmutableArray<string> Names,
    string SourcePath,
    string Devices,
    int StreamingMaskBits,
    int CoherentMaskBits,
    string StreamingText,
    string CoherentText,
    string Asymmetric,
    string Condition,
    string Evidence)
{
    /// <summary>The function that sets the masks (probe path), when the row names it.</summary>
    public string? Function { get; init; }

    /// <summary>How the driver picks its masks at probe.</summary>
    public DriverMaskRule Rule { get; init; }

    /// <summary>
    /// The masks the driver asks for on a function with this PCI id, and for <see cref="DriverMaskRule.ChipId"/>
    /// the chip line reports print (the chip found, or why it is unknown and the row's masks stay).
    /// <paramref name="intelAgp"/>: the kernel profile says intel-agp, not i915, sets the masks (2.6.3x).
    /// </summary>
    public (int Streaming, int Coherent, string? Chip) MasksFor((ushort Vendor, ushort Device)? pciId, bool intelAgp = false)
    {
        if (Rule != DriverMaskRule.ChipId) return (StreamingMaskBits, CoherentMaskBits, null);
        if (I915Chips.Find(pciId) is { } chip)
            return intelAgp ? IntelAgpMasks(chip) : (chip.StreamingMaskBits, chip.CoherentMaskBits, $"chip {chip.Device:x4}: {chip.Describe()}");
        var unknown = pciId is { } id
            ? $"chip {id.Vendor:x4}:{id.Device:x4} is not in i915's id table (pciids.h): unknown chip"
            : "no pci-id: unknown chip";
        return (StreamingMaskBits, CoherentMaskBits, $"{unknown}, the {StreamingMaskBits}/{CoherentMaskBits} of this row kept");
    }

    // intel-agp sets only the streaming mask; a chip newer than the kernel's tables gets no driver: PCI defaults.
    private static (int, int, string) IntelAgpMasks(I915Chip chip) => chip.IntelAgpStreamingBits is { } bits
        ? (bits, 32, $"chip {chip.Device:x4}: {chip.Describe()}; masks from intel-agp (streaming {bits}, coherent the PCI 32)")
        : (32, 32, $"chip {chip.Device:x4}: {chip.Describe()} is newer than this kernel's id tables: no driver binds, PCI defaults 32/32");
}

/// <summary>How a driver chooses its masks.</summary>
public enum DriverMaskRule
{
    /// <summary>The principal masks, whatever the machine (a 64 → 32 fallback never triggers on x86: dma_supported accepts 64 bits).</summary>
    Fixed,

    /// <summary>The principal masks only when dma_get_required_mask() exceeds 32 bits, else 32/32 (mptsas, mpt3sas, qla2xxx).</summary>
    RequiredMask,

    /// <summary>The masks of the chip the PCI device id names in the driver's own id table (i915: <see cref="I915Chips"/>).</summary>
    ChipId,
}

/// <summary>
/// The device-driver catalogue users name in scenarios (`driver: hpsa`). Built from
/// ../shared/data/drivers-dma-masks.csv; the checked-in copy (Catalogue/drivers-dma-masks.csv, embedded) is
/// kept equal to it by a test, so the product needs no file beside it.
/// </summary>
public static partial class DriverCatalogue
{
    private static readonly Lazy<ImmutableArray<DriverEntry>> _entries = new(Load);
    private static readonly Lazy<Dictionary<string, DriverEntry>> _byName = new(Index);

    /// <summary>Kernel log names of drivers the catalogue files under another name (dmesg prints the PCI glue's name).</summary>
    private static readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal)
    {
        ["ehci-pci"] = "ehci-hcd",
        ["ehci_hcd"] = "ehci-hcd",
        ["xhci_hcd"] = "xhci-hcd",
        ["xhci-pci"] = "xhci-hcd",
        ["snd_emu10k1"] = "snd-emu10k1",
    };

    public static ImmutableArray<DriverEntry> Entries => _entries.Value;

    /// <summary>Every name a scenario may write, sorted.</summary>
    public static IEnumerable<string> Names => _byName.Value.Keys.Order(StringComparer.Ordinal);

    /// <summary>The entry for a catalogue name or a kernel log's driver name (underscores and dashes alike).</summary>
    public static bool TryGet(string name, out DriverEntry entry)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim();
        if (_byName.Value.TryGetValue(n, out entry!)) return true;
        if (_aliases.TryGetValue(n, out var alias) && _byName.Value.TryGetValue(alias, out entry!)) return true;
        return _byName.Value.TryGetValue(n.Replace('_', '-'), out entry!);
    }

    /// <summary>The checked-in CSV text (embedded resource).</summary>
    public static string CsvText() => Resource("catalogue/drivers-dma-masks.csv");

    /// <summary>Parses catalogue CSV (RFC 4180 quoting); public so tests can parse the shared file the same way.</summary>
    public static ImmutableArray<DriverEntry> Parse(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var rows = Rows(csv).ToList();
        if (rows.Count == 0 || rows[0].Count < 8 || rows[0][0] != "driver")
            throw new InvalidOperationException("catalogue CSV must start with the header driver,mainline_path,devices,…");
        var list = ImmutableArray.CreateBuilder<DriverEntry>();
        foreach (var r in rows.Skip(1).Where(r => r.Count >= 8))
        {
            var names = r[0].Split(['/', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => Regex.Replace(n, @"\s+", "-"))
                .ToImmutableArray();
            var streaming = FirstNumber(r[3]) ?? 32;
            var coherent = r[4].StartsWith("same", StringComparison.Ordinal) ? streaming : FirstNumber(r[4]) ?? streaming;
            list.Add(new DriverEntry(names[0], names, r[1], r[2], streaming, coherent, r[3], r[4], r[5], r[6], r[7]));
        }
        return list.ToImmutable();
    }

    private static int? FirstNumber(string text)
    {
        var m = Number().Match(text);
        return m.Success ? int.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Our rows first (each names its function and rule), then the shared file's.</summary>
    private static ImmutableArray<DriverEntry> Load() => [.. ParseReal(Resource("catalogue/drivers-real.csv")), .. Parse(CsvText())];

    /// <summary>The shared file's rows only.</summary>
    public static ImmutableArray<DriverEntry> SharedEntries => [.. Entries.Where(e => e.Function is null)];

    internal static string Resource(string name)
    {
        using var stream = typeof(DriverCatalogue).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"catalogue resource {name} missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Parses drivers-real.csv: driver,source,function,streaming,coherent,rule,condition.</summary>
    public static ImmutableArray<DriverEntry> ParseReal(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var rows = Rows(csv).ToList();
        if (rows.Count == 0 || rows[0].Count != 7 || rows[0][0] != "driver")
            throw new InvalidOperationException("drivers-real.csv must start with driver,source,function,streaming,coherent,rule,condition");
        var list = ImmutableArray.CreateBuilder<DriverEntry>();
        foreach (var r in rows.Skip(1).Where(r => r.Count == 7))
        {
            var names = r[0].Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableArray();
            var streaming = int.Parse(r[3], CultureInfo.InvariantCulture);
            var coherent = int.Parse(r[4], CultureInfo.InvariantCulture);
            var rule = r[5] switch
            {
                "fixed" => DriverMaskRule.Fixed,
                "required-mask" => DriverMaskRule.RequiredMask,
                "chip-id" => DriverMaskRule.ChipId,
                _ => throw new InvalidOperationException($"drivers-real.csv: unknown rule '{r[5]}' for {r[0]}"),
            };
            list.Add(new DriverEntry(names[0], names, r[1], r[6], streaming, coherent, r[3], r[4], "", r[6], "") { Function = r[2], Rule = rule });
        }
        return list.ToImmutable();
    }

    private static Dictionary<string, DriverEntry> Index()
    {
        var map = new Dictionary<string, DriverEntry>(StringComparer.Ordinal);
        foreach (var e in Entries)
            foreach (var n in e.Names)
            {
                map.TryAdd(n, e);
                map.TryAdd(n.Replace('_', '-'), e);
            }
        return map;
    }

    internal static IEnumerable<List<string>> Rows(string csv)
    {
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < csv.Length; i++)
        {
            var c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    row.Add(field.ToString());
                    field.Clear();
                    yield return row;
                    row = [];
                    break;
                default: field.Append(c); break;
            }
        }
        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            yield return row;
        }
    }

    // Mask widths in this file are 2-digit bit counts; the first one is the principal case.
    [GeneratedRegex(@"(?<![0-9A-Za-z_])\d{2}(?![0-9])")]
    private static partial Regex Number();
}
