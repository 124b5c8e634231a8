using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>
/// intel_iommu=igfx_off's second effect, IDENTMAP_GFX (5daab58043ee, 5.2; stable 4.19.99; gone in 6.10 with
/// ba00196ca41c): a display function under the include-all unit — a server's VGA here, behind its own root port — is
/// identity mapped, while its neighbour stays translated. Without igfx_off, and outside those releases, both translate.
/// </summary>
public sealed class IdentMapGfxTests
{
    private static SimMachine Boot(string profile, string cmdline, string? version = null)
    {
        var s = new ScenarioBuilder("server-vga", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff).Usable(0x100000000, 0x17fffffff)
            .Unit(passThrough: true)
            .Device("00:01.0", "rp1", "pcie-root-port", secondaryBus: 1, extra: "acs: true")
            .Device("00:02.0", "rp2", "pcie-root-port", secondaryBus: 2, extra: "acs: true")
            .Device("01:00.0", "vga", "scripted", addressBits: 32, pcie: true, extra: "class: 0x030000")
            .Device("02:00.0", "nic", "scripted", addressBits: 64, pcie: true, extra: "class: 0x020000")
            .Kernel(profile, cmdline, version)
            .Build("server-vga.yaml");
        return SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline);
    }

    private static DeviceDomain DomainOf(SimMachine m, string name) => m.Kernel.Devices.Single(d => d.Name == name).Domain;

    [Theory]
    [InlineData("linux-5.4", null)]
    [InlineData("linux-5.10", null)]
    [InlineData("linux-6.1", null)]
    [InlineData("linux-6.6", null)]
    [InlineData("linux-4.19", "4.19.132")]
    public void Igfx_off_identity_maps_a_display_function_under_the_include_all_unit(string profile, string? version)
    {
        var m = Boot(profile, "intel_iommu=on,igfx_off", version);
        Assert.Equal(DeviceDomain.PassThrough, DomainOf(m, "vga"));
        Assert.Equal(DeviceDomain.Translated, DomainOf(m, "nic"));
        // Identity: the VGA's 32-bit DMA API hands out a low buffer's physical address.
        var vga = m.Kernel.Devices.Single(d => d.Name == "vga");
        var low = new PhysAddr(0x7000_0000);
        var r = m.Kernel.Dma.Map(vga, low, 4096, DmaDirection.ToDevice);
        Assert.True(r.Ok);
        Assert.Equal(low.Value, r.Address.Value);
    }

    [Fact]
    public void On_5_4_the_vga_alone_in_its_group_switches_it_to_direct_mapping_at_probe()
    {
        var log = Boot("linux-5.4", "intel_iommu=on,igfx_off").Events.LogLines().ToList();
        Assert.Contains("pci 0000:01:00.0: Using iommu direct mapping", log);
        Assert.DoesNotContain(log, l => l.StartsWith("pci 0000:02:00.0: Using iommu", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("linux-6.12", "intel_iommu=on,igfx_off", null)]
    [InlineData("linux-4.19", "intel_iommu=on,igfx_off", "4.19.98")]
    [InlineData("linux-3.0", "intel_iommu=on,igfx_off", null)]
    [InlineData("linux-2.6.32", "intel_iommu=on,igfx_off", null)]
    [InlineData("linux-6.1", "intel_iommu=on", null)]
    public void Elsewhere_the_display_function_translates_like_its_neighbour(string profile, string cmdline, string? version)
    {
        var m = Boot(profile, cmdline, version);
        Assert.Equal(DeviceDomain.Translated, DomainOf(m, "vga"));
        Assert.Equal(DeviceDomain.Translated, DomainOf(m, "nic"));
    }
}
