using DmaSim.Scenarios;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>(6) `driver:` sets the device's masks from the catalogue unless `drivers:` sets them.</summary>
public sealed class CatalogueMaskTests
{
    internal static RunResult Run(string deviceExtra, string drivers = "", string? profile = null)
    {
        var yaml =
            "schema: dmasim/v1\nname: c\nplatform:\n  physical-address-bits: 40\n  memory:\n" +
            "    - { start: 0x0, end: 0x23fffffff, type: usable }\n  devices:\n" +
            $"    - {{ bdf: \"03:00.0\", name: dev, model: scripted, address-bits: 64{deviceExtra} }}\n" +
            "kernel:\n  profile: linux-6.1\n" + drivers;
        var s = ScenarioLoader.Parse(yaml, "c.yaml");
        return ScenarioRunner.Run(s, ScenarioRunner.ProfilesFor(s, profile).Single());
    }

    [Fact]
    public void Without_a_driver_the_PCI_defaults_stay()
    {
        var d = Run("").Devices.Single();
        Assert.Equal((32, 32), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }

    [Fact]
    public void A_catalogue_driver_sets_both_masks()
    {
        var d = Run(", driver: hpsa").Devices.Single();
        Assert.Equal((64, 32), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }

    [Fact]
    public void A_drivers_entry_overrides_the_catalogue_mask_by_mask()
    {
        var d = Run(", driver: hpsa", "drivers:\n  - { device: dev, coherent-dma-mask-bits: 64 }\n").Devices.Single();
        Assert.Equal((64, 64), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }
}
