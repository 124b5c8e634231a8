using DmaSim.Core;
using DmaSim.Hardware.Pci;

namespace DmaSim.Kernel.Dma;

/// <summary>
/// The kernel's struct device / struct pci_dev for one function: its masks, its dma ops and what the
/// IOMMU layer decided for it. The kernel's view only; the silicon's real reach lives in the hardware.
/// </summary>
public sealed class KernelDevice
{
    /// <summary>PCI core default for both masks (drivers/pci/probe.c pci_setup_device: DMA_BIT_MASK(32)).</summary>
    public const int DefaultMaskBits = 32;

    public KernelDevice(string name, PciFunction pci)
    {
        Name = name;
        Pci = pci;
        PciName = "0000:" + pci.Bdf;
    }

    /// <summary>The scenario's name for the device ("smartarray").</summary>
    public string Name { get; }
    public PciFunction Pci { get; }
    public Bdf Bdf => Pci.Bdf;

    /// <summary>pci_name(): "0000:03:00.0".</summary>
    public string PciName { get; }

    public ulong DmaMask { get; set; } = Core.DmaMask.Bits(DefaultMaskBits);
    public ulong CoherentDmaMask { get; set; } = Core.DmaMask.Bits(DefaultMaskBits);

    /// <summary>The dma ops the kernel uses for this device (changes when the IOMMU layer moves it).</summary>
    public IDmaOps? Ops { get; set; }

    /// <summary>What the IOMMU layer did with the device (for reports and expectations).</summary>
    public DeviceDomain Domain { get; set; } = DeviceDomain.None;

    /// <summary>The device's IOMMU group as the era forms them (KernelProfile.IommuGroups); null when no unit translates it.</summary>
    public int? Group { get; set; }

    /// <summary>dev_driver_string once a driver is bound ("ehci-pci"), the prefix of its dev_info lines; null before ("pci").</summary>
    public string? DriverString { get; set; }

    /// <summary>Modern PCI SAC trick state: still tries 32-bit IOVAs first.</summary>
    public bool Pci32BitWorkaround { get; set; } = true;

    /// <summary>pdev->untrusted, as the IOMMU core found it when it probed the device (<see cref="Iommu.DefaultDomains.Untrusted"/>).</summary>
    public bool Untrusted { get; set; }

    public override string ToString() => $"{Name} ({PciName})";
}
