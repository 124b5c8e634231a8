namespace DmaSim.Simulation.Import;

/// <summary>
/// The driver that binds a function whose driver prints no line with its PCI address, from the driver's own
/// pci_device_id table (read in Linux 6.1): a class match or a vendor range. Used only when the log names no driver.
/// </summary>
public static class DriverFromIds
{
    private static readonly (uint Class, string Driver, string Table)[] _byClass =
    [
        (0x010802, "nvme", "drivers/nvme/host/pci.c nvme_id_table: PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_EXPRESS, 0xffffff)"),
        (0x0c0330, "xhci_hcd", "drivers/usb/host/xhci-pci.c pci_ids: PCI_DEVICE_CLASS(PCI_CLASS_SERIAL_USB_XHCI, ~0)"),
        (0x0c0320, "ehci-pci", "drivers/usb/host/ehci-pci.c pci_ids: PCI_DEVICE_CLASS(PCI_CLASS_SERIAL_USB_EHCI, ~0)"),
        (0x0c0310, "ohci-pci", "drivers/usb/host/ohci-pci.c pci_ids: PCI_DEVICE_CLASS(PCI_CLASS_SERIAL_USB_OHCI, ~0)"),
        (0x0c0300, "uhci_hcd", "drivers/usb/host/uhci-pci.c uhci_pci_ids: PCI_DEVICE_CLASS(PCI_CLASS_SERIAL_USB_UHCI, ~0)"),
        (0x010601, "ahci", "drivers/ata/ahci.c ahci_pci_tbl: PCI_ANY_ID with PCI_CLASS_STORAGE_SATA_AHCI"),
    ];

    // Vendor:device entries of drivers whose probe prints no line with the function's address.
    private static readonly (string Id, string Driver, string Table)[] _byId =
    [
        ("1000:0050", "mptsas", "drivers/message/fusion/mptsas.c mptsas_pci_table: PCI_DEVICE_ID_LSI_SAS1064"),
        ("1000:0054", "mptsas", "drivers/message/fusion/mptsas.c mptsas_pci_table: PCI_DEVICE_ID_LSI_SAS1068"),
        ("1000:0056", "mptsas", "drivers/message/fusion/mptsas.c mptsas_pci_table: PCI_DEVICE_ID_LSI_SAS1064E"),
        ("1000:0058", "mptsas", "drivers/message/fusion/mptsas.c mptsas_pci_table: PCI_DEVICE_ID_LSI_SAS1068E"),
        ("1000:0062", "mptsas", "drivers/message/fusion/mptsas.c mptsas_pci_table: PCI_DEVICE_ID_LSI_SAS1078"),
        ("1000:0030", "mptspi", "drivers/message/fusion/mptspi.c mptspi_pci_table: PCI_DEVICE_ID_LSI_53C1030"),
    ];

    /// <summary>The driver and the table entry that binds it, or null.</summary>
    public static (string Driver, string Why)? For(LoggedPciDevice p)
    {
        ArgumentNullException.ThrowIfNull(p);
        // drivers/virtio/virtio_pci_common.c virtio_pci_id_table: PCI_VENDOR_ID_REDHAT_QUMRANET, any device;
        // virtio_pci_probe then accepts 0x1000-0x107f (transitional and modern ids).
        if (p.VendorDevice is { } id && id.StartsWith("1af4:", StringComparison.Ordinal)
            && Convert.ToInt32(id[5..], 16) is >= 0x1000 and <= 0x107f)
            return ("virtio-pci", "drivers/virtio/virtio_pci_common.c virtio_pci_id_table (Red Hat/Qumranet 1af4:1000-107f)");
        foreach (var (known, driver, table) in _byId)
            if (p.VendorDevice == known) return (driver, table);
        foreach (var (cls, driver, table) in _byClass)
            if (p.ClassCode == cls) return (driver, table);
        return null;
    }
}
