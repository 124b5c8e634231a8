using System.Text.RegularExpressions;
using DmaSim.Core;

namespace DmaSim.Simulation.Import;

/// <summary>One function of an `lspci -vvv` (or `-nnvvv`) dump: its ids, its PCI Express port type, its ACS state.</summary>
public sealed class LspciFunction(string bdf, int line)
{
    public string Bdf { get; } = bdf;
    public int Line { get; } = line;
    public string? VendorDevice { get; set; }

    /// <summary>The Express capability's device/port type as lspci names it ("Root Port", "Endpoint", …); null without one (conventional PCI).</summary>
    public string? ExpressType { get; set; }

    /// <summary>An Access Control Services capability is present.</summary>
    public bool AcsCapability { get; set; }

    /// <summary>A flag Linux requires (SrcValid, ReqRedir, CmpltRedir, UpstreamFwd) the device has but is not enabled in ACSCtl.</summary>
    public bool AcsRequiredFlagOff { get; set; }

    /// <summary>ACS isolates as Linux needs it: the capability, and every required flag it implements enabled (pci_acs_flags_enabled).</summary>
    public bool Acs => AcsCapability && !AcsRequiredFlagOff;

    /// <summary>Configuration space bytes from an `lspci -xxxx` hex dump (rows left out read as zero).</summary>
    public byte[]? Config { get; set; }
}

/// <summary>
/// Reads `lspci -vvv` text (with or without -nn and a "0000:" domain): per function the vendor:device ids,
/// the PCIe capability's type ("Express (v2) Root Port", "PCI-Express to PCI/PCI-X Bridge", …) and the ACS
/// capability with its ACSCap/ACSCtl flags. It also reads `lspci -xxxx` hex dumps ("000: 86 80 …" rows under
/// each function), decoding the same facts from configuration space: the PCI Express capability's
/// device/port type (PCIe base spec 7.5.3.2) and the ACS extended capability (id 0x000d, 7.7.8). A file
/// that holds no function header is an error at line 1.
/// </summary>
public static partial class LspciDump
{
    private static readonly string[] _requiredAcs = ["SrcValid", "ReqRedir", "CmpltRedir", "UpstreamFwd"];

    public static IReadOnlyDictionary<string, LspciFunction> Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var functions = new Dictionary<string, LspciFunction>(StringComparer.Ordinal);
        LspciFunction? current = null;
        Dictionary<string, bool>? acsCap = null;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i].TrimEnd('\r');
            if (Header().Match(raw) is { Success: true } h)
            {
                if (h.Groups[1].Success && h.Groups[1].Value.TrimStart('0').Length > 0) { current = null; continue; }
                current = new LspciFunction($"{h.Groups[2].Value}:{h.Groups[3].Value}.{h.Groups[4].Value}", i + 1);
                if (Ids().Matches(raw) is { Count: > 0 } ids) current.VendorDevice = ids[^1].Groups[1].Value;
                functions[current.Bdf] = current;
                acsCap = null;
                continue;
            }
            if (current is null) continue;
            if (HexRow().Match(raw) is { Success: true } row)
            {
                ReadHexRow(current, row, fileName, i + 1);
                continue;
            }
            var s = raw.Trim();
            if (Express().Match(s) is { Success: true } e) current.ExpressType = e.Groups[1].Value.Trim();
            else if (s.Contains("Access Control Services", StringComparison.Ordinal)) current.AcsCapability = true;
            else if (s.StartsWith("ACSCap:", StringComparison.Ordinal)) acsCap = Flags(s);
            else if (s.StartsWith("ACSCtl:", StringComparison.Ordinal))
            {
                var ctl = Flags(s);
                current.AcsRequiredFlagOff = _requiredAcs.Any(f => (acsCap is null || acsCap.GetValueOrDefault(f)) && ctl.TryGetValue(f, out var on) && !on);
            }
        }
        if (functions.Count == 0)
            throw new InputException(new SourceSpan(fileName, 1, 1), "no PCI function header (\"00:1c.0 PCI bridge: …\") found: give `lspci -vvv` (or `lspci -nnvvv`, `lspci -xxxx`) output");
        foreach (var f in functions.Values.Where(f => f.Config is not null)) DecodeConfig(f);
        return functions;
    }

    private static void ReadHexRow(LspciFunction f, Match row, string fileName, int line)
    {
        var offset = Convert.ToInt32(row.Groups[1].Value, 16);
        var bytes = row.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (offset + bytes.Length > 4096)
            throw new InputException(new SourceSpan(fileName, line, 1), $"config space row {row.Groups[1].Value} runs past 4 KiB");
        f.Config ??= new byte[4096];
        for (var b = 0; b < bytes.Length; b++) f.Config[offset + b] = Convert.ToByte(bytes[b], 16);
    }

    private static readonly string[] _expressTypes =
    [
        "Endpoint", "Legacy Endpoint", "", "", "Root Port", "Upstream Port", "Downstream Port",
        "PCI-Express to PCI/PCI-X Bridge", "PCI/PCI-X to PCI-Express Bridge", "Root Complex Integrated Endpoint", "Root Complex Event Collector",
    ];

    /// <summary>Vendor:device, the Express capability (id 0x10) in the standard list, the ACS extended capability from 0x100.</summary>
    private static void DecodeConfig(LspciFunction f)
    {
        var c = f.Config!;
        ushort U16(int at) => (ushort)(c[at] | (c[at + 1] << 8));
        f.VendorDevice ??= $"{U16(0):x4}:{U16(2):x4}";
        var seen = new HashSet<int>();
        for (int ptr = c[0x34] & 0xfc; ptr >= 0x40 && ptr < 0x100 && seen.Add(ptr); ptr = c[ptr + 1] & 0xfc)
        {
            if (c[ptr] != 0x10) continue;
            var type = (U16(ptr + 2) >> 4) & 0xf;
            f.ExpressType ??= type < _expressTypes.Length && _expressTypes[type].Length > 0 ? _expressTypes[type] : $"type {type}";
        }
        for (var ext = 0x100; ext is >= 0x100 and < 0xffc && seen.Add(ext);)
        {
            var header = (uint)(U16(ext) | (U16(ext + 2) << 16));
            if (header == 0) break;
            if ((header & 0xffff) == 0x000d)
            {
                // REQ_ACS_FLAGS: SV (bit 0), RR (2), CR (3), UF (4); only those the capability offers must be on.
                const int Required = 0x1 | 0x4 | 0x8 | 0x10;
                f.AcsCapability = true;
                f.AcsRequiredFlagOff = (U16(ext + 4) & Required & ~U16(ext + 6)) != 0;
            }
            ext = (int)(header >> 20) & 0xffc;
        }
    }

    private static Dictionary<string, bool> Flags(string line)
    {
        var map = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (Match m in Flag().Matches(line)) map[m.Groups[1].Value] = m.Groups[2].Value == "+";
        return map;
    }

    /// <summary>"00:1c.0 PCI bridge [0604]: Intel … [8086:1c10] (rev b5)", optionally "0000:" first.</summary>
    [GeneratedRegex(@"^(?:([0-9a-f]{4,5}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])(?: \S|$)")]
    private static partial Regex Header();

    [GeneratedRegex(@"^([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?){1,16})$")]
    private static partial Regex HexRow();

    [GeneratedRegex(@"\[([0-9a-f]{4}:[0-9a-f]{4})\]")]
    private static partial Regex Ids();

    [GeneratedRegex(@"^Capabilities: \[[0-9a-f]+\] Express \(v\d\) ([^,]+)")]
    private static partial Regex Express();

    [GeneratedRegex(@"([A-Za-z]+)([+-])")]
    private static partial Regex Flag();

    /// <summary>lspci's Express type for a function, as a scenario model name; null for an endpoint.</summary>
    public static string? BridgeModel(string? expressType) => expressType switch
    {
        null => null,
        _ when expressType.StartsWith("Root Port", StringComparison.Ordinal) => "pcie-root-port",
        _ when expressType.StartsWith("Upstream Port", StringComparison.Ordinal) => "pcie-upstream-port",
        _ when expressType.StartsWith("Downstream Port", StringComparison.Ordinal) => "pcie-downstream-port",
        _ when expressType.StartsWith("PCI-Express to PCI", StringComparison.Ordinal) => "pcie-to-pci-bridge",
        _ when expressType.StartsWith("PCI/PCI-X to PCI-Express", StringComparison.Ordinal) => "pci-bridge",
        _ => null,
    };
}
