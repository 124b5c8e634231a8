using DmaSim.Kernel.Profiles;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>VFIO assignability per era, and drivers whose masks depend on dma_get_required_mask().</summary>
public sealed class VfioAndDriverRuleTests
{
    private static ScenarioBuilder Machine(string version, string? unit = null) => new ScenarioBuilder("vfio", seed: 1)
        .Usable(0, 0x9ffff).Usable(0x100000, 0xbfffffff).Usable(0x100000000, 0x23fffffff)
        .Unit(passThrough: true, sagaw: null, extra: unit)
        .Rmrr(0x7f5f0000, 0x7f5fffff, "00:1d.0", "00:1f.2")
        .Device("00:1d.0", "usb", "usb-controller", addressBits: 32)
        .Device("00:1f.2", "sata", "storage-controller", addressBits: 64, pcie: false)
        .Device("00:1f.3", "smbus", "scripted", addressBits: 32, pcie: false)
        .Device("03:00.0", "hba", "scripted", addressBits: 64, extra: "driver: mptsas")
        .Kernel("linux-6.1", "intel_iommu=on", version);

    private static RunResult Run(string profile, string version, string cmdline = "intel_iommu=on") =>
        ScenarioRunner.Run(Machine(version).Build("vfio.yaml"), ProfileCatalog.Find(profile)!, cmdline);

    private static string Vfio(RunResult r) => string.Join(" ", r.Devices.Select(d => $"{d.Name}={d.Vfio ?? "null"}"));

    [Fact]
    public void Linux_61_refuses_rmrr_storage_allows_usb_rmrrs_and_needs_whole_groups()
    {
        Assert.Equal("usb=assignable sata=rmrr smbus=group hba=assignable", Vfio(Run("linux-6.1", "6.1.0")));
    }

    [Fact]
    public void Releases_317_to_52_refuse_every_rmrr_device_older_ones_have_no_check_or_no_vfio()
    {
        Assert.Equal("usb=rmrr sata=rmrr smbus=group hba=assignable", Vfio(Run("linux-3.0", "3.17.4-301.fc21.x86_64")));
        Assert.Equal("usb=assignable sata=group smbus=group hba=assignable", Vfio(Run("linux-3.0", "3.10.0")));
        Assert.Equal("usb=null sata=null smbus=null hba=null", Vfio(Run("linux-2.6.32", "2.6.32")));
    }

    [Fact]
    public void From_4_2_device_is_rmrr_locked_spares_usb_and_graphics()
    {
        Assert.Equal("usb=assignable sata=rmrr smbus=group hba=assignable", Vfio(Run("linux-4.19", "4.19.0")));
        Assert.Equal("usb=assignable sata=rmrr smbus=group hba=assignable", Vfio(Run("linux-3.0", "4.2.0")));
        Assert.Equal("usb=rmrr sata=rmrr smbus=group hba=assignable", Vfio(Run("linux-3.0", "4.1.0")));
    }

    [Fact]
    public void Mptsas_asks_64_bits_only_when_the_required_mask_exceeds_32_bits()
    {
        // Translated under 6.1: dma_get_required_mask() is 32 bits → 32/32; identity (iommu=pt) on 9 GiB → 64/64.
        var translated = Run("linux-6.1", "6.1.0").Devices.Single(d => d.Name == "hba");
        var identity = Run("linux-6.1", "6.1.0", "intel_iommu=on iommu=pt").Devices.Single(d => d.Name == "hba");
        Assert.Equal((32, 32, "mptsas"), (translated.DmaMaskBits, translated.CoherentDmaMaskBits, translated.Driver));
        Assert.Equal((64, 64), (identity.DmaMaskBits, identity.CoherentDmaMaskBits));
    }

    [Fact]
    public void Caching_mode_makes_61_strict_with_the_kernel_line()
    {
        var cm = Machine("6.1.0", unit: "caching-mode: true");
        var r = ScenarioRunner.Run(cm.Build("cm.yaml"), ProfileCatalog.Linux61);
        Assert.Contains(r.Log, l => l.EndsWith("DMAR: IOMMU batching disallowed due to virtualization", StringComparison.Ordinal));
        Assert.All(r.Devices, d => Assert.Equal("strict", d.Flush));
        var legacy = ScenarioRunner.Run(cm.Build("cm.yaml"), ProfileCatalog.Linux2632);
        Assert.Contains(legacy.Devices, d => d.Flush == "lazy");
    }
}
