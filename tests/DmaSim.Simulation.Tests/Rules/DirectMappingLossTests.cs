using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Rules;

/// <summary>
/// 5.3 – 5.4.6 lost RMRR direct mappings, as an HP DL388p Gen8 showed on 5.4.0 (its Smart Array and iLO faulting on their
/// RMRRs, "PTE Read access is not set"): a device that switches its group to a DMA domain at probe gets its RMRRs mapped
/// into the old identity domain, and a group domain that lost a device to a private domain maps nothing more. 5.4.7 and
/// 5.5 fixed both; later eras never had them.
/// </summary>
public sealed class DirectMappingLossTests
{
    private const ulong SmartArrayRmrr = 0xbdf83000, IloRmrr = 0xbdf6f000;

    /// <summary>iommu=pt: behind ACS root ports, a lone RMRR storage controller at 02:00.0 and a multi-function iLO at 01:00.x (.0 and .2 RMRR-bound, .1 its VGA).</summary>
    private static SimMachine Boot(string profile, string version)
    {
        var s = new ScenarioBuilder("dl388p-like", seed: 1)
            .Usable(0, 0x9ffff).Usable(0x100000, 0xbdf00000 - 1).Reserved(0xbdf00000, 0xbdffffff).Usable(0x100000000, 0x23fffffff)
            .Unit(passThrough: true)
            .Rmrr(SmartArrayRmrr, SmartArrayRmrr + 0xfff, "02:00.0")
            .Rmrr(IloRmrr, IloRmrr + 0xfff, "01:00.0", "01:00.2")
            .Device("00:01.0", "rp1", "pcie-root-port", secondaryBus: 1, extra: "acs: true")
            .Device("00:02.0", "rp2", "pcie-root-port", secondaryBus: 2, extra: "acs: true")
            .Device("01:00.0", "ilo-shared", "scripted", addressBits: 32, pcie: true, extra: "class: 0x088000")
            .Device("01:00.1", "ilo-vga", "scripted", addressBits: 32, pcie: true, extra: "class: 0x030000")
            .Device("01:00.2", "ilo", "scripted", addressBits: 32, pcie: true, extra: "class: 0x088000")
            .Device("02:00.0", "smartarray", "scripted", addressBits: 64, pcie: true, extra: "class: 0x010400")
            .Kernel(profile, "intel_iommu=on iommu=pt", version)
            .Build("dl388p-like.yaml");
        return SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline);
    }

    private static bool Reaches(SimMachine m, string bdf, ulong address) =>
        m.Remappers.Single().Unit.Translate(Bdf.Parse(bdf).RequesterId, address + 0x40, isWrite: false).IsSuccess;

    [Fact]
    public void On_5_4_0_the_switched_device_and_the_one_after_a_lost_child_lose_their_rmrrs()
    {
        var m = Boot("linux-5.4", "5.4.0-1.elrdy.x86_64");
        var log = m.Events.LogLines().ToList();
        Assert.Contains("pci 0000:02:00.0: Using iommu dma mapping", log);
        Assert.Contains("pci 0000:01:00.0: Using iommu dma mapping", log);
        Assert.Contains("pci 0000:01:00.1: DMAR: Device uses a private identity domain.", log);
        // 02:00.0 and 01:00.0 switched: their RMRRs went to the identity domain they left.
        Assert.False(Reaches(m, "02:00.0", SmartArrayRmrr));
        Assert.False(Reaches(m, "01:00.0", IloRmrr));
        // 01:00.2 joined the DMA domain after 01:00.1 left it for a private one: intel_iommu_map refused its RMRR.
        Assert.False(Reaches(m, "01:00.2", IloRmrr));
        Assert.Equal(3, m.Events.Events.OfType<IommuDecisionEvent>().Count(e => e.Decision == "RMRR direct mappings lost"));
    }

    [Theory]
    [InlineData("linux-5.4", "5.4.7")]
    [InlineData("linux-5.10", "5.10.0")]
    public void The_fixed_releases_map_every_rmrr_into_the_dma_domain(string profile, string version)
    {
        var m = Boot(profile, version);
        Assert.True(Reaches(m, "02:00.0", SmartArrayRmrr));
        Assert.True(Reaches(m, "01:00.0", IloRmrr));
        Assert.True(Reaches(m, "01:00.2", IloRmrr));
    }
}
