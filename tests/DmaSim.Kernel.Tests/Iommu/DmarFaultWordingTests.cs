using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Tests;

/// <summary>
/// dmar_fault's words per release, against real logs where there are some: a read of an unmapped RMRR page by 02:00.0
/// (the HP DL388p Gen8 5.4.0 log: "DMAR: [DMA Read] Request device [02:00.0] PASID ffffffff fault addr bdf83000 [fault
/// reason 06] PTE Read access is not set").
/// </summary>
public sealed class DmarFaultWordingTests
{
    private static readonly DmarFault _fault = new(true, VtdFaultReason.ReadNotPermitted, 0x0200, 0xbdf83000);

    [Theory]
    [InlineData("3.0.1", "DRHD: handling fault status reg 2", "DMAR:[DMA Read] Request device [02:00.0] fault addr bdf83000 |DMAR:[fault reason 06] PTE Read access is not set")]
    [InlineData("3.10.0", "dmar: DRHD: handling fault status reg 2", "dmar: DMAR:[DMA Read] Request device [02:00.0] fault addr bdf83000 |DMAR:[fault reason 06] PTE Read access is not set")]
    [InlineData("4.4.0", "DMAR: DRHD: handling fault status reg 2", "DMAR: DMAR:[DMA Read] Request device [02:00.0] fault addr bdf83000 |DMAR:[fault reason 06] PTE Read access is not set")]
    [InlineData("4.19.0", "DMAR: DRHD: handling fault status reg 2", "DMAR: [DMA Read] Request device [02:00.0] fault addr bdf83000 [fault reason 06] PTE Read access is not set")]
    [InlineData("5.4.0-1.elrdy.x86_64", "DMAR: DRHD: handling fault status reg 2", "DMAR: [DMA Read] Request device [02:00.0] PASID ffffffff fault addr bdf83000 [fault reason 06] PTE Read access is not set")]
    [InlineData("5.14.0", "DMAR: DRHD: handling fault status reg 2", "DMAR: [DMA Read NO_PASID] Request device [0x02:0x00.0] fault addr 0xbdf83000 [fault reason 0x06] PTE Read access is not set")]
    [InlineData("6.1.0", "DMAR: DRHD: handling fault status reg 2", "DMAR: [DMA Read NO_PASID] Request device [02:00.0] fault addr 0xbdf83000 [fault reason 0x06] PTE Read access is not set")]
    public void Each_release_words_the_fault_as_its_source_does(string version, string status, string record)
    {
        var w = DmarFaultWording.For(ProfileCatalog.Linux30, version);
        Assert.Equal(status, w.Status(2));
        Assert.Equal(record.Split('|'), w.Record(_fault));
    }

    [Theory]
    [InlineData("linux-2.6.32", FaultLogStyle.TwoLines)]
    [InlineData("linux-4.19", FaultLogStyle.OneLine)]
    [InlineData("linux-5.4", FaultLogStyle.OneLinePasid)]
    [InlineData("linux-5.10", FaultLogStyle.OneLinePasid)]
    [InlineData("linux-5.15", FaultLogStyle.RatelimitedOneLine)]
    [InlineData("linux-6.1", FaultLogStyle.RatelimitedOneLine)]
    public void Each_profile_s_own_release_has_its_style(string profile, FaultLogStyle style)
    {
        var p = ProfileCatalog.Find(profile)!;
        Assert.Equal(style, p.FaultLog.Value);
        Assert.Equal(style, DmarFaultWording.For(p, p.DefaultRelease.Value).Style);
    }

    [Fact]
    public void Only_4_7_to_4_17_ask_the_ratelimit_once_per_interrupt()
    {
        Assert.False(DmarFaultWording.For(ProfileCatalog.Linux30, "4.9.0").RatelimitPerLine);
        Assert.True(DmarFaultWording.For(ProfileCatalog.Linux30, "4.18.0").RatelimitPerLine);
    }
}
