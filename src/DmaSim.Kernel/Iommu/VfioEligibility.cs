using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;

namespace DmaSim.Kernel.Iommu;

/// <summary>What an era's VFIO does with a device that an RMRR names.</summary>
public enum VfioRmrrPolicy
{
    /// <summary>No VFIO in this kernel (it arrived in 3.6).</summary>
    NoVfio,

    /// <summary>3.6 – 3.16: RMRR devices attach to a VFIO domain like any other.</summary>
    NoRmrrCheck,

    /// <summary>3.17 – 4.1: intel_iommu_attach_device refuses every device with an RMRR ("iommu/vt-d: Suppress RMRR device assignment" / device_is_rmrr_locked) [R: whether 3.17 already spared USB].</summary>
    RmrrBlocksAll,

    /// <summary>4.2 on: device_is_rmrr_locked spares USB and graphics devices (IS_USB_DEVICE || IS_GFX_DEVICE, read in a 4.x intel-iommu.c; device_rmrr_is_relaxable from 5.3), the rest still refused.</summary>
    RmrrBlocksExceptUsbGraphics,
}

/// <summary>
/// Whether a device could be handed to VFIO: "rmrr" when the era refuses its RMRR, "group" when other devices
/// share its IOMMU group (a group is viable only when all its devices go to VFIO; bridges excepted, as
/// vfio_dev_driver_allowed lets them stay), "assignable" otherwise; null without VFIO or without a group.
/// </summary>
public static class VfioEligibility
{
    /// <summary>The kernel's message when it refuses an RMRR device (drivers/iommu/intel/iommu.c, 3.17+).</summary>
    public const string RmrrMessage = "Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor.";

    /// <summary>The profile's policy, narrowed by the exact release when the scenario gives one (the linux-3.0 profile spans 2.6.39 – 5.2).</summary>
    public static VfioRmrrPolicy Policy(KernelContext k)
    {
        var policy = k.Profile.VfioRmrr.Value;
        if (policy != VfioRmrrPolicy.NoVfio || k.Release is not { } v) return policy;
        // "iommu/vt-d: Allow RMRR on graphics devices too" (4.2) [R: title and release].
        if (v >= new KernelVersion(4, 2, 0)) return VfioRmrrPolicy.RmrrBlocksExceptUsbGraphics;
        if (v >= new KernelVersion(3, 17, 0)) return VfioRmrrPolicy.RmrrBlocksAll;
        return v >= new KernelVersion(3, 6, 0) ? VfioRmrrPolicy.NoRmrrCheck : VfioRmrrPolicy.NoVfio;
    }

    public static string? For(KernelContext k, IntelIommu? iommu, KernelDevice dev, IReadOnlyList<KernelDevice> all)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(all);
        var policy = Policy(k);
        if (policy == VfioRmrrPolicy.NoVfio || iommu is null || dev.Group is not { } group || dev.Pci.IsBridge) return null;
        if (iommu.HasRmrr(dev.Bdf) && policy != VfioRmrrPolicy.NoRmrrCheck
            && !(policy == VfioRmrrPolicy.RmrrBlocksExceptUsbGraphics && IsUsbOrGraphics(dev.Pci)))
            return "rmrr";
        return all.Any(o => o != dev && o.Group == group && !o.Pci.IsBridge) ? "group" : "assignable";
    }

    /// <summary>IS_USB_DEVICE || IS_GFX_DEVICE (device_is_rmrr_locked 4.2 – 5.2, device_rmrr_is_relaxable from 5.3): USB controllers (class 0x0c03) and display controllers (class 0x03).</summary>
    private static bool IsUsbOrGraphics(PciFunction f) => f.IsUsb || f.IsGraphics;
}
