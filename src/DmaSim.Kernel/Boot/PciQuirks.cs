using DmaSim.Kernel.Dma;

namespace DmaSim.Kernel.Boot;

/// <summary>PCI header fixups of the Intel IOMMU driver that print while the bus is enumerated.</summary>
public static class PciQuirks
{
    /// <summary>Device-id high bytes of the integrated graphics quirk_igfx_skip_te_disable knows (5.9).</summary>
    private static readonly byte[] _skipTeDisable = [0x45, 0x46, 0x4c, 0x4e, 0x8a, 0x98, 0x9a];

    /// <summary>RPL-S, added by "iommu/vt-d: Add RPLS to quirk list to skip TE disabling" (5.19).</summary>
    private const byte RaptorLakeS = 0xa7;

    /// <summary>
    /// Meteor Lake, added by 85b80fdffa86 "iommu/vt-d: Add MTL to quirk list to skip TE disabling" (6.7 [R: release from
    /// the mail dates]); its stable backports to 5.10.y – 6.6.y (December 2023) are not modelled.
    /// </summary>
    private const byte MeteorLake = 0x7d;

    /// <summary>
    /// quirk_igfx_skip_te_disable (drivers/iommu/intel/iommu.c, "iommu/vt-d: Skip TE disabling on quirky gfx dedicated
    /// iommu", 5.9, sent to stable; read in 5.17, 5.19 and 6.1): an Intel display-class function whose device id's
    /// high byte is listed prints "Skip IOMMU disabling for graphics" under dev_fmt "DMAR: ", whether or not VT-d is
    /// then enabled. Its effect (translation left on for a graphics-dedicated unit with drain support) matters only
    /// when translation is disabled, which the model never does.
    /// </summary>
    public static void Run(KernelContext k, IEnumerable<KernelDevice> devices)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(devices);
        // Unversioned runs print as their era: the legacy profiles predate the quirk, linux-6.1 has it.
        if (k.Release is not { } version)
        {
            if (k.Profile.LogStyle.Value == Profiles.LogStyle.Legacy) return;
            version = new KernelVersion(6, 1, 0);
        }
        if (version < new KernelVersion(5, 9, 0)) return;
        foreach (var d in devices.OrderBy(d => d.Bdf))
        {
            var high = (byte)(d.Pci.DeviceId >> 8);
            if (d.Pci.VendorId != 0x8086 || !d.Pci.IsGraphics || d.Pci.DeviceId == 0) continue;
            if (_skipTeDisable.Contains(high) || (high == RaptorLakeS && version >= new KernelVersion(5, 19, 0))
                || (high == MeteorLake && version >= new KernelVersion(6, 7, 0)))
                k.Log($"pci {d.PciName}: DMAR: Skip IOMMU disabling for graphics");
        }
    }
}
