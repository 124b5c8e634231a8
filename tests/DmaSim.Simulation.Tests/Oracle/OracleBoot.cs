using System.Text.Json;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Oracle;

/// <summary>One PCI function as the real kernel left it (tests/oracle/BOOT/sysfs.json).</summary>
internal sealed record OracleDevice(string Bdf, string Vendor, string Device, string Class, int DmaMaskBits,
    int CoherentDmaMaskBits, string? Driver, int? Group);

/// <summary>One IOMMU group: number, /sys/kernel/iommu_groups/N/type, member functions.</summary>
internal sealed record OracleGroup(int Number, string Type, IReadOnlyList<string> Devices);

/// <summary>
/// A recorded boot of Debian's 6.1 kernel under QEMU (tests/oracle/record.sh): what the kernel printed and
/// what sysfs said afterwards. See docs/real-machines.md, "A real-kernel oracle".
/// </summary>
internal sealed record OracleBoot(string Name, string Dir, string Kernel, string Cmdline,
    IReadOnlyList<OracleGroup> Groups, IReadOnlyList<OracleDevice> Devices)
{
    public static string Root => Path.Combine(SharedData.RepoRoot, "tests", "oracle");

    public string Dmesg => Path.Combine(Dir, "dmesg.txt");

    /// <summary>The DMAR table bytes, or null when QEMU had no VT-d unit.</summary>
    public string? Dmar => File.Exists(Path.Combine(Dir, "DMAR.dat")) ? Path.Combine(Dir, "DMAR.dat") : null;

    /// <summary>The boot names manifest.json lists, in its order.</summary>
    public static IReadOnlyList<string> ManifestNames()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "manifest.json")));
        return [.. doc.RootElement.GetProperty("boots").EnumerateArray().Select(b => b.GetProperty("name").GetString()!)];
    }

    public static OracleBoot Load(string name)
    {
        var dir = Path.Combine(Root, name);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "sysfs.json")));
        var root = doc.RootElement;
        var groups = root.GetProperty("groups").EnumerateArray().Select(g => new OracleGroup(
            g.GetProperty("group").GetInt32(), g.GetProperty("type").GetString()!,
            [.. g.GetProperty("devices").EnumerateArray().Select(d => d.GetString()!)])).ToList();
        var devices = root.GetProperty("devices").EnumerateArray().Select(d => new OracleDevice(
            d.GetProperty("bdf").GetString()!, d.GetProperty("vendor").GetString()!, d.GetProperty("device").GetString()!,
            d.GetProperty("class").GetString()!, d.GetProperty("dma_mask_bits").GetInt32(),
            d.GetProperty("consistent_dma_mask_bits").GetInt32(), NullableString(d.GetProperty("driver")),
            d.GetProperty("iommu_group").ValueKind == JsonValueKind.Null ? null : d.GetProperty("iommu_group").GetInt32()))
            .ToList();
        return new OracleBoot(name, dir, root.GetProperty("kernel").GetString()!, root.GetProperty("cmdline").GetString()!,
            groups, devices);
    }

    private static string? NullableString(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetString();
}
