using DmaSim.Core;
using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>`repeat: N` names `#0`…`#N-1`, and later steps may use them one by one or as a whole group.</summary>
public sealed class RepeatAndBufferTests
{
    private const string Big = "{ device: dev, op: map, size: 256KiB, direction: to-device, as: big, repeat: 300 }";

    private static Scenario Steps(params string[] steps) =>
        Parse(Build(tail: "workload:\n" + string.Concat(steps.Select(s => "  - " + s + "\n"))));

    private static string StepsError(params string[] steps) =>
        Error(Build(tail: "workload:\n" + string.Concat(steps.Select(s => "  - " + s + "\n"))));

    [Theory]
    [InlineData("big#0")]
    [InlineData("big#3")]
    [InlineData("big#299")]
    public void Suffixed_names_are_known_to_later_steps(string target)
    {
        var s = Steps(Big, $"{{ device: dev, op: dma-read, target: {target} }}");
        var read = Assert.IsType<AccessStep>(s.Workload[1]);
        Assert.Equal(new BufferRef(target, false), read.Target);
        Assert.Equal(target, read.Target.Resolve(7));
    }

    [Fact]
    public void Index_past_the_group() => Assert.Equal(
        "t.yaml:13:39: error: target 'big#300' is outside big#0..big#299",
        StepsError(Big, "{ device: dev, op: unmap, target: big#300 }"));

    [Fact]
    public void Suffix_on_a_name_made_without_repeat() => Assert.Equal(
        "t.yaml:13:39: error: target 'r#0' names no buffer created by an earlier step ('r' was not made with repeat)",
        StepsError("{ device: dev, op: map, size: 4KiB, direction: to-device, as: r }", "{ device: dev, op: unmap, target: r#0 }"));

    [Fact]
    public void Bare_group_name_from_a_repeated_step_means_one_per_iteration()
    {
        var s = Steps(Big, "{ device: dev, op: unmap, target: big, repeat: 300 }");
        var unmap = Assert.IsType<UnmapStep>(s.Workload[1]);
        Assert.Equal(new BufferRef("big", true), unmap.Target);
        Assert.Equal("big#0", unmap.Target.Resolve(0));
        Assert.Equal("big#299", unmap.Target.Resolve(299));
    }

    [Fact]
    public void Bare_group_name_without_repeat() => Assert.Equal(
        "t.yaml:13:39: error: 'big' is a group of 300 buffers (big#0..big#299); name one, or give this step repeat",
        StepsError(Big, "{ device: dev, op: unmap, target: big }"));

    [Fact]
    public void Repeat_longer_than_the_group() => Assert.Equal(
        "t.yaml:13:39: error: repeat 301 runs past the 300 buffers of 'big' (big#0..big#299)",
        StepsError(Big, "{ device: dev, op: unmap, target: big, repeat: 301 }"));

    [Fact]
    public void Group_name_cannot_be_reused() => Assert.Equal(
        "t.yaml:13:56: error: buffer name 'big' is already used at line 12",
        StepsError(Big, "{ device: dev, op: alloc-coherent, size: 4KiB, as: big }"));

    [Fact]
    public void Explicit_repeat_1_still_suffixes()
    {
        var step = Assert.IsType<AllocCoherentStep>(Steps("{ device: dev, op: alloc-coherent, size: 4KiB, as: r, repeat: 1 }").Workload[0]);
        Assert.Equal((1, true, "r#0"), (step.Repeat, step.Repeated, step.NameFor(0)));
    }

    [Fact]
    public void Buffer_names_cannot_carry_a_hash() => Assert.Equal(
        "t.yaml:12:56: error: bad buffer name 'r#1': use letters, digits, '.', '_' and '-', starting with a letter or digit",
        StepsError("{ device: dev, op: alloc-coherent, size: 4KiB, as: r#1 }"));

    [Fact]
    public void Alloc_buffer_then_map_it()
    {
        var s = Steps(
            "{ op: alloc-buffer, size: 64KiB, as: hi, at: 0x7000000000 }",
            "{ device: dev, op: map, buffer: hi, offset: 4KiB, direction: bidirectional, as: m }",
            "{ device: dev, op: sync-for-cpu, target: m, direction: bidirectional, offset: 0, bytes: 512 }",
            "{ device: dev, op: cpu-write, target: hi, bytes: 16 }",
            "{ device: dev, op: set-mask, dma-mask-bits: 64, coherent-dma-mask-bits: 32 }");
        var alloc = Assert.IsType<AllocBufferStep>(s.Workload[0]);
        Assert.Equal((ScriptOp.AllocBuffer, (string?)null, 64 * Sizes.KiB, "hi", new PhysAddr(0x7000000000)),
            (alloc.Op, alloc.Device, alloc.Size, alloc.As, alloc.At!.Value));
        var map = Assert.IsType<MapStep>(s.Workload[1]);
        Assert.Equal((new BufferRef("hi", false), 4 * Sizes.KiB, StepDirection.Bidirectional, (ulong?)null),
            (map.Buffer!.Value, map.Offset, map.Direction, map.Size));
        var sync = Assert.IsType<SyncStep>(s.Workload[2]);
        Assert.Equal((ScriptOp.SyncForCpu, "m", 0UL, 512UL), (sync.Op, sync.Target.Name, sync.Offset, sync.Bytes!.Value));
        var mask = Assert.IsType<SetMaskStep>(s.Workload[4]);
        Assert.Equal((64, 32), (mask.DmaMaskBits!.Value, mask.CoherentDmaMaskBits!.Value));
    }

    [Fact]
    public void Map_buffer_must_name_an_alloc_buffer() => Assert.Equal(
        "t.yaml:13:59: error: op map cannot use 'r': it was made by alloc-coherent at line 12",
        StepsError("{ device: dev, op: alloc-coherent, size: 4KiB, as: r }", "{ device: dev, op: map, direction: to-device, buffer: r, as: m }"));

    [Fact]
    public void Names_stay_known_after_unmap_so_use_after_unmap_can_be_scripted()
    {
        var s = Steps(
            "{ device: dev, op: map, size: 4KiB, direction: from-device, as: buf }",
            "{ device: dev, op: unmap, target: buf }",
            "{ device: dev, op: dma-write, target: buf }");
        Assert.Equal(3, s.Workload.Length);
    }
}
