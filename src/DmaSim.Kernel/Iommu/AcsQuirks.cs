using DmaSim.Hardware.Pci;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// Whether Linux treats a function as isolated by ACS (drivers/pci/pci.c pci_acs_enabled with
/// REQ_ACS_FLAGS = SV | RR | CR | UF, drivers/iommu/iommu.c), including the per-chip quirks of
/// drivers/pci/quirks.c pci_dev_acs_enabled[] that a vendor:device id identifies. Read in Linux 6.1.
/// </summary>
public static class AcsQuirks
{
    // drivers/pci/quirks.c pci_quirk_intel_pch_acs_ids[] (6.1): Intel PCH root ports that isolate
    // peers without an ACS capability; pci_quirk_enable_intel_pch_acs sets them up at enumeration.
    private static readonly HashSet<ushort> _intelPchRootPorts = Build(
        (0x3b42, 0x3b51), // Ibexpeak
        (0x1c10, 0x1c1f), // Cougarpoint
        (0x1e10, 0x1e1f), // Pantherpoint
        (0x8c10, 0x8c1f), // Lynxpoint-H
        (0x9c10, 0x9c1b), // Lynxpoint-LP
        (0x9c90, 0x9c9b), // Wildcat
        (0x8d10, 0x8d1e), // Wellsburg (X99)
        (0x8c90, 0x8c9e)); // 9 series

    // Patsburg (X79): only the even ids.
    private static readonly ushort[] _patsburg = [0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e];

    /// <summary>
    /// pci_quirk_intel_spt_pch_acs_match (6.1): Sunrise Point and Union Point root ports, whose ACS
    /// capability uses non-standard register layout; Linux reads it through the quirk and treats it as set.
    /// </summary>
    private static bool IsSptPchRootPort(ushort id) =>
        id is >= 0xa110 and <= 0xa11f or >= 0xa167 and <= 0xa16a or >= 0xa290 and <= 0xa29f or >= 0xa2e7 and <= 0xa2ee;

    /// <summary>
    /// drivers/pci/quirks.c pci_dev_acs_enabled[] entries with pci_quirk_mf_endpoint_acs (read in 6.1.y): multi-function
    /// endpoints whose vendor vouches that their functions cannot reach each other peer to peer. The quirk grants SV, TB,
    /// RR, CR, UF and DT whatever the function's type, so every function of these chips isolates. 6.1.0's set: Broadcom
    /// 0x1760 – 0x1763 came to 6.1.y later, as a stable backport of 524e057b2d66, and are left out.
    /// </summary>
    private static readonly HashSet<(ushort Vendor, ushort Device)> _multifunctionEndpoints =
    [
        .. Ids(0x1924, 0x0903, 0x0923, 0x0A03), // Solarflare
        .. Ids(0x8086, 0x10C6, 0x10DB, 0x10DD, 0x10E1, 0x10F1, 0x10F7, 0x10F8, 0x10F9, 0x10FA, 0x10FB, 0x10FC, 0x1507, 0x1514,
            0x151C, 0x1529, 0x152A, 0x154D, 0x154F, 0x1551, 0x1558), // Intel 10 GbE: 82598, 82599 [R: ids read as those families]
        .. Ids(0x8086, 0x1509, 0x150E, 0x150F, 0x1510, 0x1511, 0x1516, 0x1527), // 82580
        .. Ids(0x8086, 0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x150A, 0x150D, 0x1518, 0x1526), // 82576
        .. Ids(0x8086, 0x10A7, 0x10A9, 0x10D6), // 82575
        .. Ids(0x8086, 0x1521, 0x1522, 0x1523, 0x1524), // I350
        .. Ids(0x8086, 0x105E, 0x105F, 0x1060, 0x10D9), // 82571 (the quad-port cards sit behind a switch without ACS)
        .. Ids(0x8086, 0x15B7, 0x15B8), // I219
        .. Ids(0x19a2, 0x0710), // Emulex BE3-R
        .. Ids(0x10df, 0x0720), // Emulex Skyhawk-R
        .. Ids(0x177d, 0xA026, 0xA059, 0xA060), // Cavium
        .. Ids(0x14e4, 0x16D7, 0x1750, 0x1751, 0x1752), // Broadcom
        .. Ids(0x1d17, 0x3038, 0x3104, 0x9083), // Zhaoxin
    ];

    private static IEnumerable<(ushort, ushort)> Ids(ushort vendor, params ushort[] devices) => devices.Select(d => (vendor, d));

    private static HashSet<ushort> Build(params (int From, int To)[] ranges)
    {
        var set = new HashSet<ushort>();
        foreach (var (from, to) in ranges)
            for (var id = from; id <= to; id++) set.Add((ushort)id);
        return set;
    }

    /// <summary>The quirk's answer for this function, or null when no quirk applies (pci_dev_specific_acs_enabled → -ENOTTY).</summary>
    public static bool? Quirk(PciFunction f)
    {
        if (IsMultifunctionEndpointQuirk(f)) return true;
        if (f.VendorId != 0x8086 || f.Kind != PciFunctionKind.PcieRootPort || !f.IsPcie) return null;
        if (_intelPchRootPorts.Contains(f.DeviceId) || _patsburg.Contains(f.DeviceId) || IsSptPchRootPort(f.DeviceId)) return true;
        return null;
    }

    /// <summary>A short name of the quirk that applies, for explanations.</summary>
    public static string? QuirkName(PciFunction f) =>
        Quirk(f) is null ? null
        : IsMultifunctionEndpointQuirk(f) ? "pci_quirk_mf_endpoint_acs"
        : IsSptPchRootPort(f.DeviceId) ? "pci_quirk_intel_spt_pch_acs" : "pci_quirk_intel_pch_acs";

    private static bool IsMultifunctionEndpointQuirk(PciFunction f) => _multifunctionEndpoints.Contains((f.VendorId, f.DeviceId));

    /// <summary>
    /// pci_acs_enabled(pdev, REQ_ACS_FLAGS): quirks first; conventional PCI never isolates; PCIe-to-PCI
    /// bridges never do (PCIe 3.0 6.12.1); root and downstream ports need the capability; endpoints and
    /// upstream ports need it only when multifunction, otherwise they have no peers to reach.
    /// </summary>
    public static bool Enabled(PciTopology pci, PciFunction f)
    {
        if (Quirk(f) is { } q) return q;
        if (!f.IsPcie) return false;
        return f.Kind switch
        {
            PciFunctionKind.PcieToPciBridge or PciFunctionKind.PciBridge => false,
            PciFunctionKind.PcieRootPort or PciFunctionKind.PcieDownstreamPort => f.Acs,
            _ => !pci.IsMultifunction(f.Bdf) || f.Acs,
        };
    }

    /// <summary>pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS): every function from start up to the root bus isolates.</summary>
    public static bool PathEnabled(PciTopology pci, PciFunction start)
    {
        for (var f = start; f is not null; f = pci.UpstreamBridge(f.Bdf))
        {
            if (!Enabled(pci, f)) return false;
        }
        return true;
    }
}
