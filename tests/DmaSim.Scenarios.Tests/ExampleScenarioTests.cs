using DmaSim.Core;
using DmaSim.Testing;

namespace DmaSim.Scenarios.Tests;

/// <summary>The design contract's example scenario (docs/reference/design-contracts.md, a copy of the brief's DESIGN.md), copied verbatim into Resources/, loads with every field as written.</summary>
public sealed class ExampleScenarioTests
{
    private static readonly string _path = Path.Combine(AppContext.BaseDirectory, "Resources", "design-example.yaml");
    private readonly Scenario _s = ScenarioLoader.Load(_path);

    [Fact]
    public void Example_resource_is_still_the_one_in_design_md()
    {
        var design = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "docs", "reference", "design-contracts.md"));
        var start = design.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var end = design.IndexOf("```", start, StringComparison.Ordinal);
        Assert.Equal(design[start..end], File.ReadAllText(_path));
    }

    [Fact]
    public void Header()
    {
        Assert.Equal("dmasim/v1", _s.Schema);
        Assert.Equal("smartarray-passthrough", _s.Name);
        Assert.Equal("storage controller, 64-bit streaming / 32-bit descriptors, hw pass-through, 8 GiB", _s.Description);
        Assert.Equal(1UL, _s.Seed);
        Assert.Equal(_path, _s.SourceFile);
        Assert.Equal(new SourceSpan(_path, 1, 1), _s.Span);
    }

    [Fact]
    public void Memory_map()
    {
        var p = _s.Platform;
        Assert.Equal(40, p.PhysicalAddressBits);
        Assert.Equal(new PhysAddr(0xff_ffff_ffff), p.MaxAddress);
        Assert.Equal(
            [
                (new PhysRange(0x0, 0x9ffff), MemoryType.Usable),
                (new PhysRange(0x100000, 0xbfffffff), MemoryType.Usable),
                (new PhysRange(0xc0000000, 0xffffffff), MemoryType.Reserved),
                (new PhysRange(0x100000000, 0x23fffffff), MemoryType.Usable),
            ],
            p.Memory.Select(m => (m.Range, m.Type)));
        Assert.Equal(new SourceSpan(_path, 9, 7), p.Memory[1].Span);
        Assert.Empty(p.FirmwareFaults);
    }

    [Fact]
    public void Inline_iommu()
    {
        var iommu = Assert.IsType<InlineIommu>(_s.Platform.Iommu);
        Assert.Equal(40, iommu.HostAddressWidth);
        var unit = Assert.Single(iommu.Units);
        Assert.Equal(new PhysAddr(0xfed90000), unit.Base);
        Assert.True(unit.IncludePciAll);
        Assert.True(unit.PassThrough);
        Assert.Equal<int>([39, 48], unit.Sagaw);
        Assert.Empty(unit.Devices);
        // Defaults of the options the example leaves out.
        Assert.False(unit.CachingMode);
        Assert.True(unit.QueuedInvalidation);
        Assert.True(unit.Coherent);
        Assert.Equal(8, unit.FaultRecordingRegisters);
        Assert.Equal(new SourceSpan(_path, 15, 9), unit.Span);

        var rmrr = Assert.Single(iommu.Rmrr);
        Assert.Equal(new PhysRange(0x7f5f0000, 0x7f5fffff), rmrr.Range);
        Assert.Equal<PciBdf>([new PciBdf(0, 0x1d, 0)], rmrr.Devices);
        Assert.Equal(new SourceSpan(_path, 17, 9), rmrr.Span);
    }

    [Fact]
    public void Devices()
    {
        var d = _s.Platform.Devices;
        Assert.Equal(["smartarray", "usb", "p2p", "oldscsi"], d.Select(x => x.Name));

        Assert.Equal(new DeviceConfig(new PciBdf(3, 0, 0), "smartarray", DeviceKind.StorageController, true, 64, 32,
            FirmwareDmaKind.None, null, null, new SourceSpan(_path, 20, 7)), d[0]);
        Assert.Equal(new DeviceConfig(new PciBdf(0, 0x1d, 0), "usb", DeviceKind.UsbController, true, 32, 32,
            FirmwareDmaKind.Rmrr, null, null, new SourceSpan(_path, 21, 7)), d[1]);
        Assert.Equal(new DeviceConfig(new PciBdf(0, 0x1e, 0), "p2p", DeviceKind.PcieToPciBridge, true, 0, 0,
            FirmwareDmaKind.None, 5, null, new SourceSpan(_path, 22, 7)), d[2]);
        Assert.Equal(new DeviceConfig(new PciBdf(5, 1, 0), "oldscsi", DeviceKind.Scripted, false, 32, 32,
            FirmwareDmaKind.None, null, null, new SourceSpan(_path, 23, 7)), d[3]);
        Assert.True(d[2].IsBridge);
        Assert.Equal("05:01.0", d[3].Bdf.ToString());
        Assert.Same(d[1], _s.Device("usb"));
    }

    [Fact]
    public void Kernel_and_drivers()
    {
        Assert.Equal(new KernelConfig("linux-2.6.31", "intel_iommu=on iommu=pt", new SourceSpan(_path, 25, 3)), _s.Kernel);
        var driver = Assert.Single(_s.Drivers);
        Assert.Equal(new DriverConfig("smartarray", 64, null, new SourceSpan(_path, 28, 5)), driver);
        Assert.Same(driver, _s.DriverFor("smartarray"));
        Assert.Null(_s.DriverFor("usb"));
    }

    [Fact]
    public void Workload()
    {
        var w = _s.Workload;
        Assert.Equal(8, w.Length);
        Assert.Equal(new RunStep("smartarray", RunJob.Io, 64, 64 * Sizes.KiB, 1, false, new SourceSpan(_path, 30, 5)), w[0]);
        Assert.Equal(new RunStep("usb", RunJob.FirmwareDma, 8, null, 1, false, new SourceSpan(_path, 31, 5)), w[1]);
        Assert.Equal(new HotplugMemoryStep(new PhysRange(0x240000000, 0x43fffffff), false, new SourceSpan(_path, 32, 5)), w[2]);

        var ring = Assert.IsType<AllocCoherentStep>(w[3]);
        Assert.Equal((ScriptOp.AllocCoherent, "smartarray", 4 * Sizes.KiB, "ring"), (ring.Op, ring.Device, ring.Size, ring.As));
        Assert.Equal("ring", ring.NameFor(0));

        var map = Assert.IsType<MapStep>(w[4]);
        Assert.Equal((ScriptOp.Map, 64 * Sizes.KiB, StepDirection.FromDevice, "buf"), (map.Op, map.Size, map.Direction, map.As));
        Assert.Null(map.Buffer);
        Assert.Equal((MapFunction.MapSingle, true), (map.Function, map.CheckError));

        var write = Assert.IsType<AccessStep>(w[5]);
        Assert.Equal(ScriptOp.DmaWrite, write.Op);
        Assert.Equal(new BufferRef("buf", false), write.Target);
        Assert.Equal((0UL, 512UL), (write.Offset, write.Bytes!.Value));
        Assert.Null(write.As);
        Assert.Null(write.NameFor(0));

        var unmap = Assert.IsType<UnmapStep>(w[6]);
        Assert.Equal((ScriptOp.Unmap, "buf"), (unmap.Op, unmap.Target.Name));
        Assert.Null(unmap.Direction);
        Assert.Null(unmap.Size);

        var big = Assert.IsType<MapStep>(w[7]);
        Assert.Equal((ScriptOp.Map, 256 * Sizes.KiB, StepDirection.ToDevice, 300, true), (big.Op, big.Size, big.Direction, big.Repeat, big.Repeated));
        Assert.Equal("big#0", big.NameFor(0));
        Assert.Equal("big#299", big.NameFor(299));
        Assert.Equal(new SourceSpan(_path, 37, 5), big.Span);
    }

    [Fact]
    public void Expectations()
    {
        var e = _s.Expect;
        Assert.Equal(5, e.Length);
        var stall = Assert.IsType<OutcomeExpectation>(e[0]);
        Assert.Equal(("smartarray", Outcome.Stall), (stall.Device, stall.Outcome));
        Assert.Equal(new SourceSpan(_path, 39, 5), stall.Span);
        Assert.Equal<string>(["linux-2.6.32-rc5"], stall.Profiles);
        Assert.True(e[0].AppliesTo("linux-2.6.32-rc5"));
        Assert.False(e[0].AppliesTo("linux-2.6.31"));

        var ok = Assert.IsType<OutcomeExpectation>(e[1]);
        Assert.Equal(Outcome.Ok, ok.Outcome);
        Assert.Equal<string>(["linux-2.6.31", "linux-2.6.32"], ok.Profiles);
        Assert.Equal("smartarray outcome ok [linux-2.6.31, linux-2.6.32]", ok.Text);

        var domain = Assert.IsType<DomainExpectation>(e[2]);
        Assert.Equal(("smartarray", DeviceDomain.PassThrough), (domain.Device, domain.Domain));
        Assert.Empty(domain.Profiles);
        Assert.True(domain.AppliesTo("linux-6.1"));

        var ops = Assert.IsType<DmaOpsExpectation>(e[3]);
        Assert.Equal(("usb", DmaOpsKind.IntelIommu), (ops.Device, ops.DmaOps));
        Assert.Equal("usb dma-ops intel-iommu", ops.Text);

        var log = Assert.IsType<LogContainsExpectation>(e[4]);
        Assert.Equal("DMAR: Setting RMRR", log.Contains);
        Assert.Equal("log contains \"DMAR: Setting RMRR\"", log.Text);
        Assert.Equal(new SourceSpan(_path, 43, 5), log.Span);
    }
}
