using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Suite;

/// <summary>
/// Scenarios that differ from the shipped ones only in their numbers behave as the rules imply: nothing
/// is tuned to the shipped files.
/// </summary>
public class VariantTests
{
    private static ScenarioBuilder Rmrr(string bdf, ulong start, ulong end, bool pt) => new ScenarioBuilder("rmrr-variant", seed: 99)
        .Usable(0, 0x9ffff).Usable(0x100000, start - 1).Reserved(start, end).Usable(end + 1, 0xbfffffff)
        .Reserved(0xc0000000, 0xffffffff).Usable(0x100000000, 0x43fffffff)
        .Unit(passThrough: pt, sagaw: null)
        .Rmrr(start, end, bdf)
        .Device(bdf, "usb", "usb-controller", addressBits: 32, pcie: false, extra: "firmware-dma: rmrr")
        .Kernel("linux-2.6.32", "intel_iommu=on iommu=pt")
        .Workload(
            "{ device: usb, run: firmware-dma, count: 4 }",
            "{ device: usb, run: io, count: 2, size: 8KiB }",
            "{ device: usb, run: firmware-dma, count: 4 }");

    [Theory]
    [InlineData("00:1a.0", 0xbf2e9000UL, 0xbf2fffffUL, false)]
    [InlineData("00:1d.7", 0x7df6f000UL, 0x7df7efffUL, true)]
    [InlineData("00:1d.1", 0x9f000000UL, 0x9f00ffffUL, false)]
    public void Rmrr_devices_that_leave_si_domain_lose_their_rmrr_until_later_kernels(string bdf, ulong start, ulong end, bool pt)
    {
        var s = Rmrr(bdf, start, end, pt).Build("variant.yaml");
        Assert.Equal(Outcome.FirmwareFault, Worst(s, ProfileCatalog.Linux2632));
        Assert.Equal(Outcome.FirmwareFault, Worst(s, ProfileCatalog.Linux30));
        Assert.Equal(Outcome.Ok, Worst(s, ProfileCatalog.Linux61));
    }

    private static ScenarioBuilder Masked(int addressBits, int maskBits, ulong ramTop) => new ScenarioBuilder("mask-variant", seed: 7)
        .PhysicalAddressBits(46)
        .PcMemory(highEnd: 0x13fffffff).Usable(ramTop - 0x40000000 + 1, ramTop)
        .Unit(passThrough: true, sagaw: null, hostAddressWidth: 46)
        .Device("0a:00.0", "hba", "storage-controller", addressBits: addressBits)
        .Kernel("linux-2.6.32", "intel_iommu=on iommu=pt")
        .Driver("hba", dmaMaskBits: maskBits, coherentDmaMaskBits: maskBits)
        .Workload("{ device: hba, run: io, count: 4, size: 32KiB }");

    [Theory]
    [InlineData(40, 40, 0x1003fffffffUL)]   // RAM just above 1 TiB, 40-bit device
    [InlineData(39, 39, 0x803fffffffUL)]    // RAM above 512 GiB, 39-bit device
    [InlineData(42, 42, 0x4003fffffffUL)]   // RAM above 4 TiB, 42-bit device
    public void A_mask_below_the_top_of_ram_corrupts_under_2632_and_is_translated_from_30(int bits, int mask, ulong ramTop)
    {
        var s = Masked(bits, mask, ramTop).Build("mask.yaml");
        Assert.Equal(Outcome.Corruption, Worst(s, ProfileCatalog.Linux2632));
        var r30 = ScenarioRunner.Run(s, ProfileCatalog.Linux30);
        Assert.Equal(Outcome.Ok, r30.Devices.Single().Outcome);
        Assert.Equal("translated", r30.Devices.Single().DomainName);
        Assert.Equal(Outcome.Ok, Worst(s, ProfileCatalog.Linux61));
    }

    [Theory]
    [InlineData(44, 44, 0x1003fffffffUL)]   // the mask covers the RAM: identity is right in every era
    [InlineData(64, 64, 0x4003fffffffUL)]
    public void A_mask_that_covers_the_ram_stays_identity_and_works(int bits, int mask, ulong ramTop)
    {
        var s = Masked(bits, mask, ramTop).Build("mask.yaml");
        foreach (var p in new[] { ProfileCatalog.Linux2632, ProfileCatalog.Linux30, ProfileCatalog.Linux61 })
        {
            var r = ScenarioRunner.Run(s, p);
            Assert.Equal(Outcome.Ok, r.Devices.Single().Outcome);
            Assert.Equal("passthrough", r.Devices.Single().DomainName);
        }
    }

    private static Outcome Worst(Scenario s, KernelProfile p) => ScenarioRunner.Run(s, p).Devices.Select(d => d.Outcome).Max();
}
