using System.Globalization;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// How dmar_fault words a fault in one release: the profile's <see cref="KernelProfile.FaultLog"/>, narrowed by the exact
/// release when the scenario gives one. Read in drivers/pci/dmar.c and drivers/iommu/(intel/)dmar.c from 2.6.32 to 6.12;
/// the status line is "DRHD: handling fault status reg %x" in every release, only its prefix changes.
/// </summary>
public sealed record DmarFaultWording(FaultLogStyle Style, string Prefix, bool RatelimitPerLine, bool HexDevice)
{
    public static DmarFaultWording For(KernelContext k)
    {
        ArgumentNullException.ThrowIfNull(k);
        return For(k.Profile, k.KernelVersion);
    }

    /// <summary>The wording of <paramref name="profile"/>, or of the exact release <paramref name="version"/> when it parses.</summary>
    public static DmarFaultWording For(KernelProfile profile, string? version)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!KernelVersion.TryParse(version, out var v))
        {
            var style = profile.FaultLog.Value;
            return new(style, style == FaultLogStyle.TwoLines ? "" : "DMAR: ", true, false);
        }
        // 2.6.32 – 3.5 no prefix; 3.6 – 4.1 pr_fmt KBUILD_MODNAME ("dmar: "); pr_fmt "DMAR: " from 4.2 (as the DMAR parse lines).
        if (v < new KernelVersion(4, 7, 0))
            return new(FaultLogStyle.TwoLines, v < new KernelVersion(3, 6, 0) ? "" : v < new KernelVersion(4, 2, 0) ? "dmar: " : "DMAR: ", true, false);
        // 4.7 – 4.17: one __ratelimit per interrupt; "iommu/vt-d: Ratelimit each dmar fault printing" (4.18) checks each line.
        if (v < new KernelVersion(5, 4, 0)) return new(FaultLogStyle.OneLine, "DMAR: ", v >= new KernelVersion(4, 18, 0), false);
        if (v < new KernelVersion(5, 14, 0)) return new(FaultLogStyle.OneLinePasid, "DMAR: ", true, false);
        // "iommu/vt-d: Tweak the description of a DMA fault" (5.14) printed the device as [0x%02x:0x%02x.%d]; "iommu/vt-d: Drop
        // "0x" prefix from PCI bus & device addresses" (5.15) took it back.
        return new(FaultLogStyle.RatelimitedOneLine, "DMAR: ", true, v < new KernelVersion(5, 15, 0));
    }

    /// <summary>The status line of one interrupt.</summary>
    public string Status(uint status) => Prefix + string.Create(CultureInfo.InvariantCulture, $"DRHD: handling fault status reg {status:x}");

    private string Device(int bus, int dev, int fn) => HexDevice
        ? string.Create(CultureInfo.InvariantCulture, $"0x{bus:x2}:0x{dev:x2}.{fn}")
        : string.Create(CultureInfo.InvariantCulture, $"{bus:x2}:{dev:x2}.{fn}");

    /// <summary>One fault record's line(s).</summary>
    public IReadOnlyList<string> Record(DmarFault f)
    {
        var op = f.IsRead ? "DMA Read" : "DMA Write";
        var (bus, dev, fn) = (f.SourceId >> 8, (f.SourceId >> 3) & 0x1F, f.SourceId & 7);
        var reason = VtdFaultReasons.Describe(f.Reason);
        var code = (byte)f.Reason;
        return Style switch
        {
            FaultLogStyle.TwoLines => [Prefix + f.LinuxLog[0], f.LinuxLog[1]],
            FaultLogStyle.OneLine => [string.Create(CultureInfo.InvariantCulture, $"DMAR: [{op}] Request device [{bus:x2}:{dev:x2}.{fn}] fault addr {f.Address:x} [fault reason {code:d2}] {reason}")],
            // A request without a PASID carries the invalid PASID (all ones), which 5.4 – 5.13 print as it is.
            FaultLogStyle.OneLinePasid => [string.Create(CultureInfo.InvariantCulture, $"DMAR: [{op}] Request device [{bus:x2}:{dev:x2}.{fn}] PASID ffffffff fault addr {f.Address:x} [fault reason {code:d2}] {reason}")],
            _ => [string.Create(CultureInfo.InvariantCulture, $"DMAR: [{op} NO_PASID] Request device [{Device(bus, dev, fn)}] fault addr 0x{f.Address:x} [fault reason 0x{code:x2}] {reason}")],
        };
    }
}
