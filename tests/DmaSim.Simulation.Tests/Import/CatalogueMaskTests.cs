using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>(6) `driver:` sets the device's masks from the catalogue unless `drivers:` sets them.</summary>
public sealed class CatalogueMaskTests
{
    internal static RunResult Run(string deviceExtra, string? drivers = null, string? profile = null)
    {
        var b = new ScenarioBuilder("c").Usable(0, 0x23fffffff)
            .Device("03:00.0", "dev", "scripted", addressBits: 64, extra: deviceExtra.Length > 0 ? deviceExtra : null)
            .Kernel("linux-6.1");
        if (drivers is not null) b.DriverRaw(drivers);
        var s = b.Build("c.yaml");
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
        var d = Run("driver: hpsa").Devices.Single();
        Assert.Equal((64, 32), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }

    [Fact]
    public void A_drivers_entry_overrides_the_catalogue_mask_by_mask()
    {
        var d = Run("driver: hpsa", "{ device: dev, coherent-dma-mask-bits: 64 }").Devices.Single();
        Assert.Equal((64, 64), (d.DmaMaskBits, d.CoherentDmaMaskBits));
    }
}
