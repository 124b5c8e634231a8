using System.Globalization;

namespace DmaSim.Hardware.Acpi;

/// <summary>The words for a DMAR device scope's type (VT-d spec 8.3.1), as decode, lint and summary print them.</summary>
public static class DeviceScopeTypes
{
    /// <summary>endpoint, bridge, ioapic, hpet, acpi-namespace, or reserved-N.</summary>
    public static string NameOf(DeviceScopeType type) => type switch
    {
        DeviceScopeType.Endpoint => "endpoint",
        DeviceScopeType.Bridge => "bridge",
        DeviceScopeType.IoApic => "ioapic",
        DeviceScopeType.Hpet => "hpet",
        DeviceScopeType.AcpiNamespace => "acpi-namespace",
        _ => "reserved-" + ((byte)type).ToString(CultureInfo.InvariantCulture),
    };
}
