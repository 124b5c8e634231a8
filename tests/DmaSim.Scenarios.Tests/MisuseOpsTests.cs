using DmaSim.Core;
using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>The misuse vocabulary of DESIGN.md: map/unmap overrides, unbind, map-sg, unmap-sg and `expect: finding`.</summary>
public sealed class MisuseOpsTests
{
    private static Scenario Steps(params string[] steps) =>
        Parse(Build(tail: "workload:\n" + string.Concat(steps.Select(s => "  - " + s + "\n"))));

    private static string StepsError(params string[] steps) =>
        Error(Build(tail: "workload:\n" + string.Concat(steps.Select(s => "  - " + s + "\n"))));

    [Fact]
    public void Map_and_unmap_take_the_drivers_wrong_arguments()
    {
        var s = Steps(
            "{ device: dev, op: map, size: 4KiB, direction: to-device, as: m, as-function: map-page, check-error: false }",
            "{ device: dev, op: unmap, target: m, size: 2KiB, direction: from-device, as-function: unmap-single }",
            "{ device: dev, op: unmap, target: m }");
        var map = Assert.IsType<MapStep>(s.Workload[0]);
        Assert.Equal((MapFunction.MapPage, false), (map.Function, map.CheckError));
        var unmap = Assert.IsType<UnmapStep>(s.Workload[1]);
        Assert.Equal((2 * Sizes.KiB, StepDirection.FromDevice, MapFunction.MapSingle), (unmap.Size!.Value, unmap.Direction!.Value, unmap.Function!.Value));
        var plain = Assert.IsType<UnmapStep>(s.Workload[2]);
        Assert.Null(plain.Size);
        Assert.Null(plain.Direction);
        Assert.Null(plain.Function);
    }

    [Fact]
    public void Unbind_map_sg_and_unmap_sg()
    {
        var s = Steps(
            "{ device: dev, op: map-sg, segments: [4KiB, 128KiB], direction: to-device, as: sg }",
            "{ device: dev, op: dma-read, target: sg, offset: 4096, bytes: 64 }",
            "{ device: dev, op: unmap-sg, target: sg }",
            "{ device: dev, op: unbind }");
        var sg = Assert.IsType<MapSgStep>(s.Workload[0]);
        Assert.Equal([4 * Sizes.KiB, 128 * Sizes.KiB], sg.Segments.ToArray());
        Assert.Equal("sg", Assert.IsType<UnmapSgStep>(s.Workload[2]).Target.Name);
        Assert.Equal("dev", Assert.IsType<UnbindStep>(s.Workload[3]).Device);
    }

    [Fact]
    public void Expect_a_finding_kind() =>
        Assert.Equal(FindingKind.FreeNotAllocated,
            Assert.IsType<FindingExpectation>(Parse(Build(tail: "expect:\n  - { device: dev, finding: free-not-allocated }\n")).Expect[0]).Kind);

    [Fact]
    public void Unknown_finding_kind() => Assert.Contains(
        "unknown finding 'free-not-alocated' (did you mean 'free-not-allocated'?)",
        Error(Build(tail: "expect:\n  - { device: dev, finding: free-not-alocated }\n")), StringComparison.Ordinal);

    [Fact]
    public void Empty_segments() => Assert.EndsWith(
        "error: segments needs at least one size",
        StepsError("{ device: dev, op: map-sg, segments: [], direction: to-device, as: sg }"), StringComparison.Ordinal);

    [Fact]
    public void Unmap_sg_of_a_single_mapping() => Assert.Contains(
        "op unmap-sg cannot use 'm': it was made by map",
        StepsError("{ device: dev, op: map, size: 4KiB, direction: to-device, as: m }", "{ device: dev, op: unmap-sg, target: m }"), StringComparison.Ordinal);

    [Fact]
    public void Unmap_function_words_are_the_unmap_ones() => Assert.Contains(
        "unknown as-function 'map-page'",
        StepsError("{ device: dev, op: map, size: 4KiB, direction: to-device, as: m }", "{ device: dev, op: unmap, target: m, as-function: map-page }"), StringComparison.Ordinal);

    [Fact]
    public void Check_error_is_a_boolean() => Assert.Contains(
        "check-error must be true or false, not 'no'",
        StepsError("{ device: dev, op: map, size: 4KiB, direction: to-device, as: m, check-error: no }"), StringComparison.Ordinal);

    [Fact]
    public void Unbind_takes_nothing_else() => Assert.Contains(
        "key 'target' does not apply to op unbind",
        StepsError("{ device: dev, op: unbind, target: x }"), StringComparison.Ordinal);
}
