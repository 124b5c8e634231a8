using DmaSim.Core;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using static DmaSim.Kernel.Tests.Policy.KernelRig;

namespace DmaSim.Kernel.Tests.Dma;

/// <summary>
/// The run's dma-api-calls counter (<see cref="DmaApi.Calls"/>) counts what the event stream would have: every call
/// but dma_mapping_error, a failed or zero-length map included. A run that wants only the coherent allocations
/// (<see cref="DmaCoherentAllocEvent"/>) gets each of them, and its maps and unmaps build no <see cref="DmaApiEvent"/>.
/// </summary>
public class DmaApiCallCountTests
{
    [Theory]
    [InlineData("linux-2.6.32")]
    [InlineData("linux-6.1")]
    public void Calls_counts_what_the_stream_records_but_dma_mapping_error(string profile)
    {
        var k = BootKernel(ProfileCatalog.Find(profile)!, "", Layout(8 * GiB));
        var before = k.Dma.Calls;
        var recordedBefore = CountedEvents(k);
        Exercise(k);
        Assert.Equal(CountedEvents(k) - recordedBefore, k.Dma.Calls - before);
        Assert.Equal(13, k.Dma.Calls - before);
    }

    [Fact]
    public void A_run_that_wants_coherent_allocations_only_builds_no_event_for_its_maps()
    {
        var k = BootKernel(ProfileCatalog.Linux61, "", Layout(8 * GiB));
        k.K.Events.Record = false;
        var coherent = new List<DmaApiEvent>();
        k.K.Events.Subscribe<DmaCoherentAllocEvent>(e => coherent.Add(e.Call));
        Assert.False(k.K.Events.Wants<DmaApiEvent>());
        var before = k.Dma.Calls;
        Exercise(k);
        Assert.Equal(13, k.Dma.Calls - before);
        var alloc = Assert.Single(coherent);
        Assert.Equal(("dma_alloc_coherent", true, 0x3000UL), (alloc.Call, alloc.Ok, alloc.Size));
    }

    private static long CountedEvents(LinuxKernel k) => k.K.Events.Events.OfType<DmaApiEvent>().Count(e => e.Call != "dma_mapping_error");

    // 13 counted calls (the scatterlists count one per entry, as each entry is recorded) and 2 dma_mapping_error.
    private static void Exercise(LinuxKernel k)
    {
        var dev = k.Dev();
        k.Dma.SetMask(dev, DmaMask.Bits(64));
        k.Dma.SetCoherentMask(dev, DmaMask.Bits(32));
        var buffer = new PhysAddr(0x1_8000_0000);
        var m = k.Dma.Map(dev, buffer, 0x1000, DmaDirection.ToDevice);
        k.Dma.MappingError(dev, m.Address, !m.Ok);
        k.Dma.SyncForCpu(dev, m.Address, 0x1000, DmaDirection.ToDevice);
        k.Dma.SyncForDevice(dev, m.Address, 0x1000, DmaDirection.ToDevice);
        k.Dma.Unmap(dev, m.Address, 0x1000, DmaDirection.ToDevice);
        var zero = k.Dma.Map(dev, buffer, 0, DmaDirection.ToDevice);
        k.Dma.MappingError(dev, zero.Address, !zero.Ok);
        var c = k.Dma.AllocCoherent(dev, 0x3000);
        Assert.NotNull(c);
        k.Dma.FreeCoherent(dev, c.Value);
        var sg = k.Dma.MapSg(dev, [(buffer, 0x1000), (buffer.Add(0x1000), 0x1000)], DmaDirection.FromDevice);
        Assert.NotNull(sg);
        k.Dma.UnmapSg(dev, [(buffer, sg[0], 0x1000), (buffer.Add(0x1000), sg[1], 0x1000)], DmaDirection.FromDevice);
    }
}
