using System.Collections.Frozen;
using System.Globalization;

namespace DmaSim.Scenarios;

/// <summary>
/// One entry of i915's PCI id table: the chip's platform, graphics version and dma_mask_size.
/// Ids and platforms: include/drm/intel/pciids.h and the pciidlist of drivers/gpu/drm/i915/i915_pci.c;
/// dma_mask_size: the intel_device_info each id points at (i915_pci.c). Both read in the i915 of Linux
/// 6.17 (strongtz/i915-sriov-dkms 2026.05.06, a snapshot of mainline i915); first match wins, as pci_match_id.
/// </summary>
public sealed record I915Chip(ushort Device, string Platform, int GraphicsVersion, int DmaMaskSize, string IdsMacro)
{
    /// <summary>i915_set_dma_info: dma_set_mask(dma_mask_size).</summary>
    public int StreamingMaskBits => DmaMaskSize;

    /// <summary>
    /// i915_set_dma_info: the coherent mask is 30 bits on graphics version 2 (the overlay cannot address
    /// above 1 GiB), 32 on 965G/965GM (the HWS is written with 32-bit addresses), else dma_mask_size.
    /// </summary>
    public int CoherentMaskBits => GraphicsVersion == 2 ? 30 : Platform is "I965G" or "I965GM" ? 32 : DmaMaskSize;

    /// <summary>
    /// The streaming mask intel-agp's agp_intel_probe gave the chip in 2.6.31/2.6.32 (i915 set none then): 36 when
    /// its bridge driver maps with intel_i965_mask_memory (intel_g33_driver: G33/Q35/Q33/Pineview; intel_i965_driver:
    /// the 965 family, G4x, Ironlake), none for 830–945 (PCI default 32), null for chips newer than Ironlake, which
    /// intel_agp_chipsets does not list (drivers/char/agp/intel-agp.c, 2.6.3x).
    /// </summary>
    public int? IntelAgpStreamingBits => Platform is "G33" or "PINEVIEW" || GraphicsVersion is 4 or 5 ? 36
        : GraphicsVersion is 2 or 3 ? 32
        : null;

    /// <summary>"TIGERLAKE (graphics 12, INTEL_TGL_IDS)".</summary>
    public string Describe() => $"{Platform} (graphics {GraphicsVersion}, {IdsMacro})";
}

/// <summary>i915's own id table (Catalogue/i915-chips.csv, embedded): the chip decides i915's masks.</summary>
public static class I915Chips
{
    /// <summary>PCI_VENDOR_ID_INTEL: i915 matches only Intel display-class functions (INTEL_VGA_DEVICE).</summary>
    public const ushort IntelVendor = 0x8086;

    private static readonly Lazy<FrozenDictionary<ushort, I915Chip>> _byDevice = new(Load);

    /// <summary>Every chip of the table.</summary>
    public static IEnumerable<I915Chip> All => _byDevice.Value.Values.OrderBy(c => c.Device);

    /// <summary>The chip for a vendor:device pair, or null when i915's table has no such id.</summary>
    public static I915Chip? Find((ushort Vendor, ushort Device)? id) =>
        id is { Vendor: IntelVendor } v && _byDevice.Value.TryGetValue(v.Device, out var chip) ? chip : null;

    private static FrozenDictionary<ushort, I915Chip> Load()
    {
        var rows = DriverCatalogue.Rows(DriverCatalogue.Resource("catalogue/i915-chips.csv")).ToList();
        if (rows.Count == 0 || rows[0].Count != 5 || rows[0][0] != "device")
            throw new InvalidOperationException("i915-chips.csv must start with device,platform,graphics_ver,dma_mask_size,ids_macro");
        return rows.Skip(1).Where(r => r.Count == 5)
            .Select(r => new I915Chip(ushort.Parse(r[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), r[1],
                int.Parse(r[2], CultureInfo.InvariantCulture), int.Parse(r[3], CultureInfo.InvariantCulture), r[4]))
            .ToFrozenDictionary(c => c.Device);
    }
}
