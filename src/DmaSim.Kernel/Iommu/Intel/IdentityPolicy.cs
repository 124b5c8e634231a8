using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>Everything iommu_should_identity_map looks at, as plain values.</summary>
public readonly record struct IdentityInputs(
    bool IdentMapAll,
    bool IsPcie,
    bool OnRootBus,
    PciFunctionKind Kind,
    ulong DmaMask,
    ulong CoherentDmaMask,
    ulong RequiredMask,
    bool HasRmrr,
    bool IsUsb,
    bool IsGraphics = false,
    bool IdentMapGfx = false);

/// <summary>The verdict and the rule that produced it.</summary>
/// <remarks>
/// Some eras decide on every map and unmap (iommu_no_mapping); the reason is read only when a decision is
/// reported, so a mask comparison keeps its numbers and is worded when asked (a seed sweep cell formatted
/// one or two hex numbers per map and unmap for nothing: issue 13).
/// </remarks>
public readonly record struct IdentityVerdict
{
    private readonly string? _reason;
    private readonly MaskRule _rule;
    private readonly ulong _mask;
    private readonly ulong _required;

    public IdentityVerdict(bool identity, string reason, string source) => (Identity, _reason, Source) = (identity, reason, source);

    private IdentityVerdict(bool identity, MaskRule rule, ulong mask, ulong required, string source) =>
        (Identity, _rule, _mask, _required, Source) = (identity, rule, mask, required, source);

    public bool Identity { get; }
    public string Source { get; }

    public string Reason => _rule switch
    {
        MaskRule.StreamingMask => Identity
            ? $"dma_mask {Hex.Format(_mask)} > DMA_BIT_MASK(32) (coherent mask and RAM size not consulted)"
            : $"dma_mask {Hex.Format(_mask)} ≤ DMA_BIT_MASK(32)",
        MaskRule.MinMaskCoversRequired => Identity
            ? $"min(dma_mask, coherent mask) {Hex.Format(_mask)} ≥ required mask {Hex.Format(_required)}"
            : $"min(dma_mask, coherent mask) {Hex.Format(_mask)} < required mask {Hex.Format(_required)}",
        _ => _reason ?? "",
    };

    internal static IdentityVerdict ByStreamingMask(ulong dmaMask, string source) =>
        new(dmaMask > DmaMask.Bits(32), MaskRule.StreamingMask, dmaMask, 0, source);

    internal static IdentityVerdict ByMinMask(ulong minMask, ulong required, string source) =>
        new(minMask >= required, MaskRule.MinMaskCoversRequired, minMask, required, source);

    // Equal as before the reason became lazy: by what a reader sees, not by how the sentence is kept.
    public bool Equals(IdentityVerdict other) => Identity == other.Identity && Reason == other.Reason && Source == other.Source;

    public override int GetHashCode() => HashCode.Combine(Identity, Reason, Source);

    private enum MaskRule { None, StreamingMask, MinMaskCoversRequired }
}

/// <summary>
/// iommu_should_identity_map (drivers/pci/intel-iommu.c, 2.6.32 → 3.x), as a pure function of the era's
/// rules. Evaluated in order, first match wins (linux-semantics §2.2, §2.3).
/// </summary>
public static class IdentityPolicy
{
    private const string Src = "drivers/pci/intel-iommu.c iommu_should_identity_map";

    public static IdentityVerdict Decide(KernelProfile p, IdentityInputs x, bool startup, Boot.KernelVersion? release = null)
    {
        if (!x.IdentMapAll && !x.IdentMapGfx) return new(false, "identity mapping not enabled (no iommu=pt)", Src + ": !(iommu_identity_mapping & IDENTMAP_ALL)");
        // device_is_rmrr_locked: an RMRR keeps a device out of si_domain unless it is USB (whose RMRRs serve
        // the BIOS's legacy keyboard emulation only) or graphics.
        if (RmrrLocks(p, release) && x.HasRmrr && !x.IsUsb && !x.IsGraphics)
            return new(false, "device has an RMRR (not USB, not graphics)", p.RmrrDevicesNeverIdentity.Source);
        // IDENTMAP_GFX is tested before IDENTMAP_ALL and before any mask: a display function stays identity mapped.
        if (x.IdentMapGfx && x.IsGraphics)
            return new(true, "intel_iommu=igfx_off sets IDENTMAP_GFX: a display function is identity mapped", p.IgfxOffIdentityMapsGraphics.Source);
        if (!x.IdentMapAll) return new(false, "identity mapping not enabled (no iommu=pt)", Src + ": !(iommu_identity_mapping & IDENTMAP_ALL)");
        if (p.BridgedDevicesNeverIdentity.Value)
        {
            if (!x.IsPcie && !x.OnRootBus) return new(false, "conventional PCI device behind a bridge", p.BridgedDevicesNeverIdentity.Source);
            if (x.Kind is PciFunctionKind.PciBridge or PciFunctionKind.PcieToPciBridge)
                return new(false, "PCI bridge (its DMA carries other devices' requester ids)", p.BridgedDevicesNeverIdentity.Source);
        }
        // Masks are unknown at boot: assume the device is 64-bit capable.
        if (startup) return new(true, "boot: masks unknown, assume 64-bit", Src + "(startup=1)");
        switch (p.RuntimeIdentityCheck.Value)
        {
            case IdentityCheck.StreamingMaskAbove32Bits:
                return IdentityVerdict.ByStreamingMask(x.DmaMask, p.RuntimeIdentityCheck.Source);
            case IdentityCheck.MinMaskCoversRequiredMask:
                var m = x.DmaMask;
                if (x.CoherentDmaMask != 0 && x.CoherentDmaMask < m) m = x.CoherentDmaMask;
                return IdentityVerdict.ByMinMask(m, x.RequiredMask, p.RuntimeIdentityCheck.Source);
            default:
                return new(true, "no runtime re-check in this era", p.RuntimeIdentityCheck.Source);
        }
    }

    /// <summary>
    /// The profile's RMRR lock; linux-3.0 stands for every release from 2.6.39 to 4.18, so there the release decides:
    /// "intel-iommu: Prevent devices with RMRRs from being placed into SI Domain" (ea2447f700ca) is in 3.8 on.
    /// </summary>
    private static bool RmrrLocks(KernelProfile p, Boot.KernelVersion? release) =>
        p.RmrrDevicesNeverIdentity.Value
        || (p.Name == ProfileNames.Linux30 && release is { } v && v >= new Boot.KernelVersion(3, 8, 0));
}
