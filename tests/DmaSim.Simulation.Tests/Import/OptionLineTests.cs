using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Profiles;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// intel_iommu_setup prints a line per option as it meets them: a literal "Intel-IOMMU: " to 4.1, pr_info under "DMAR: "
/// from 4.2; forcedac only warns that it is deprecated from 5.13 (3542dcb15cef), strict from 5.15 (the v5.15 pull).
/// </summary>
public sealed class OptionLineTests
{
    [Theory]
    [InlineData("4.1.15", "Intel-IOMMU: disable batched IOTLB flush", "Intel-IOMMU: Forcing DAC for PCI devices")]
    [InlineData("4.2.8", "DMAR: Disable batched IOTLB flush", "DMAR: Forcing DAC for PCI devices")]
    [InlineData("5.12.19", "DMAR: Disable batched IOTLB flush", "DMAR: Forcing DAC for PCI devices")]
    [InlineData("5.13.0", "DMAR: Disable batched IOTLB flush", "DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead")]
    [InlineData("5.14.21", "DMAR: Disable batched IOTLB flush", "DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead")]
    [InlineData("5.15.0", "DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead", "DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead")]
    [InlineData("6.6.1", "DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead", "DMAR: intel_iommu=forcedac deprecated; use iommu.forcedac instead")]
    public void Strict_and_forcedac_print_their_release_s_line(string version, string strict, string forcedac)
    {
        var d = LogDialect.For(version.StartsWith('4') ? ProfileCatalog.Linux419 : ProfileCatalog.Find("linux-5.10")!, version);
        Assert.Equal(strict, d.IntelIommuOption(new("strict", "strict")));
        Assert.Equal(forcedac, d.IntelIommuOption(new("forcedac", "forcedac")));
    }

    [Theory]
    [InlineData("linux-5.10", new[] { "DMAR: IOMMU enabled", "DMAR: Disable batched IOTLB flush", "DMAR: Forcing DAC for PCI devices", "DMAR: Disable GFX device mapping" })]
    [InlineData("linux-2.6.32", new[] { "Intel-IOMMU: enabled", "Intel-IOMMU: disable batched IOTLB flush", "Intel-IOMMU: Forcing DAC for PCI devices", "Intel-IOMMU: disable GFX device mapping" })]
    public void A_boot_prints_each_option_s_line_in_command_line_order(string profile, string[] want)
    {
        var s = new ScenarioBuilder("options", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .Unit(passThrough: true)
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel(profile, "intel_iommu=on,strict intel_iommu=forcedac,igfx_off")
            .Build("options.yaml");
        var log = SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline).Events.LogLines().ToList();
        var first = log.IndexOf(want[0]);
        Assert.True(first >= 0);
        Assert.Equal(want, log.Skip(first).Take(want.Length));
    }
}
