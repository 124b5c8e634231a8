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
}

/// <summary>
/// Reads `lspci -vvv` text (with or without -nn and a "0000:" domain): per function the vendor:device ids,
/// the PCIe capability's type ("Express (v2) Root Port", "PCI-Express to PCI/PCI-X Bridge", …) and the ACS
/// capability with its ACSCap/ACSCtl flags. A file that holds no function header is an error at line 1.
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
            throw new InputException(new SourceSpan(fileName, 1, 1), "no PCI function header (\"00:1c.0 PCI bridge: …\") found: give `lspci -vvv` (or `lspci -nnvvv`) output");
        return functions;
    }

    private static Dictionary<string, bool> Flags(string line)
    {
        var map = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (Match m in Flag().Matches(line)) map[m.Groups[1].Value] = m.Groups[2].Value == "+";
        return map;
    }

    /// <summary>"00:1c.0 PCI bridge [0604]: Intel … [8086:1c10] (rev b5)", optionally "0000:" first.</summary>
    [GeneratedRegex(@"^(?:([0-9a-f]{4,5}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) \S")]
    private static partial Regex Header();

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
