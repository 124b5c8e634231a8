using DmaSim.Core;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>
/// Found by the soundness campaign's translated mode: a DMA whose first page translates and whose second
/// faults had written its first page (TLPs never cross 4 KiB; VT-d blocks only the faulting request), yet
/// the checker stopped at the fault and missed the bytes written past the end of the mapping.
/// </summary>
public class PartialFaultTests
{
    private static SimMachine Run(string profile, ulong offset, ulong bytes)
    {
        var s = new CampaignScenario(SimRig.P(profile), CampaignMode.Translated, 64, 1,
            [new CampaignMap(0, 0, 3053, true, false)], false, [], [new CampaignStep(Act.DmaWrite, 0, 0, 1, 0)]);
        var yaml = s.Yaml().Replace("offset: 0, bytes: 1 }", $"offset: {offset}, bytes: {bytes} }}", StringComparison.Ordinal);
        return SimRig.RunKeeping(SimRig.Parse(yaml), s.Profile);
    }

    [Theory]
    [InlineData(ProfileNames.Linux2632)]
    [InlineData(ProfileNames.Linux61)]
    public void The_pages_written_before_a_fault_are_checked(string profile)
    {
        // 3053-byte mapping at IOVA page start; the write covers [1952, 8619): 1101 bytes in the mapping,
        // 1043 past its end on the same (mapped) page, then the next IOVA page, which nothing maps.
        var m = Run(profile, 1952, 6667);
        Assert.True(m.Checker.Saw("dev", FindingKind.IommuFault));
        Assert.True(m.Checker.Saw("dev", FindingKind.OutOfMapping));
    }

    [Fact]
    public void A_fault_on_the_first_page_is_the_only_finding()
    {
        // Nothing transferred: no out-of-mapping, no use-after-unmap, only the fault.
        var m = Run(ProfileNames.Linux2632, 4096, 64);
        Assert.True(m.Checker.Saw("dev", FindingKind.IommuFault));
        Assert.False(m.Checker.Saw("dev", FindingKind.OutOfMapping));
    }
}
