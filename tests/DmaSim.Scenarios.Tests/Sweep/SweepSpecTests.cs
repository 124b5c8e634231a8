using DmaSim.Core;
using DmaSim.Scenarios.Sweep;

namespace DmaSim.Scenarios.Tests.Sweep;

/// <summary>`dmasim-sweep/v1`: what a spec means, and every error at its line and column.</summary>
public sealed class SweepSpecTests
{
    private const string Head = "schema: dmasim-sweep/v1\nname: s\nbase: seed.yaml\n";

    private static SweepSpec Parse(string text) => SweepSpecLoader.Parse(text, "dir/s.yaml");

    private static string Error(string text) => Assert.Throws<InputException>(() => Parse(text)).Message;

    [Fact]
    public void Axes_keep_the_spec_order_and_the_values_as_written()
    {
        var spec = Parse(Head + "axes:\n  ram: [2GiB, 0x140000000]\n  cmdline: [\"intel_iommu=on\", \"\"]\n  set:\n    devices.dev.address-bits: [32, 64]\n");
        Assert.Equal(["ram", "cmdline", "devices.dev.address-bits"], spec.Axes.Select(a => a.Name));
        Assert.Equal([AxisKind.Ram, AxisKind.Cmdline, AxisKind.Set], spec.Axes.Select(a => a.Kind));
        Assert.Equal(["2GiB", "0x140000000"], spec.Axes.First().Values.Select(v => v.Text));
        Assert.Equal(["intel_iommu=on", ""], spec.Axes.ElementAt(1).Values.Select(v => v.Text));
        Assert.Equal(new SourceSpan("dir/s.yaml", 5, 15), spec.Axes.First().Values[1].Span);
        Assert.Equal(Path.Combine("dir", "seed.yaml"), spec.Source.Path);
    }

    [Fact]
    public void Profile_all_is_every_known_profile_in_catalogue_order()
    {
        var spec = Parse(Head + "axes:\n  profile: all\n");
        Assert.Equal(ProfileNames.All, spec.Axes.Single().Values.Select(v => v.Text));
    }

    [Fact]
    public void Zip_makes_one_group_whose_axes_move_together()
    {
        var spec = Parse(Head + "axes:\n  profile: [linux-2.6.31, linux-3.0]\n  zip:\n    cmdline: [a, b, c]\n    ram: [1GiB, 2GiB, 3GiB]\n");
        Assert.Equal(2, spec.Groups.Count);
        Assert.Equal(3, spec.Groups[1].Count);
        Assert.Equal(["cmdline", "ram"], spec.Groups[1].Axes.Select(a => a.Name));
    }

    [Theory]
    [InlineData("schema: dmasim/v1\nname: s\n", "dir/s.yaml:1:9: error: this is a scenario, not a sweep spec; a sweep spec starts with 'schema: dmasim-sweep/v1' and names the scenario in 'base:'")]
    [InlineData("schema: dmasim-sweep/v2\n", "dir/s.yaml:1:9: error: unsupported schema 'dmasim-sweep/v2'; this build reads dmasim-sweep/v1")]
    [InlineData("schema: dmasim-sweep/v1\nname: s\n", "dir/s.yaml:1:1: error: sweep spec needs 'base: SCENARIO' or 'fleet: DIR'")]
    [InlineData(Head + "fleet: machines\n", "dir/s.yaml:4:1: error: a sweep has either 'base:' (one scenario) or 'fleet:' (a folder of machines), not both")]
    [InlineData(Head + "axis:\n  ram: [1GiB]\n", "dir/s.yaml:4:1: error: unknown key 'axis' in sweep spec (did you mean 'axes'?)")]
    [InlineData(Head + "axes:\n  rams: [1GiB]\n", "dir/s.yaml:5:3: error: unknown key 'rams' in axes (did you mean 'ram'?)")]
    [InlineData(Head + "axes:\n  ram: [1GiB, 2GB]\n", "dir/s.yaml:5:15: error: ram: ")]
    [InlineData(Head + "axes:\n  profile: [linux-2.6.31, linux-9]\n", "dir/s.yaml:5:27: error: unknown profile 'linux-9'")]
    [InlineData(Head + "axes:\n  ram: []\n", "dir/s.yaml:5:8: error: axis 'ram' has no values")]
    [InlineData(Head + "axes:\n  ram: [1GiB, 1GiB]\n", "dir/s.yaml:5:15: error: value '1GiB' of axis 'ram' is already listed at line 5")]
    [InlineData(Head + "axes:\n  cmdline: [[a]]\n", "dir/s.yaml:5:13: error: a value of axis 'cmdline' must be a scalar, not a list")]
    [InlineData(Head + "axes:\n  set:\n    devices..bits: [1]\n", "dir/s.yaml:6:5: error: bad path 'devices..bits'")]
    [InlineData(Head + "axes:\n  ram: [1GiB]\n  zip:\n    ram: [2GiB]\n", "dir/s.yaml:7:5: error: axis 'ram' is already given at line 5")]
    [InlineData(Head + "axes:\n  zip:\n    ram: [1GiB, 2GiB]\n    cmdline: [a]\n", "dir/s.yaml:7:5: error: zipped axes move together, so they need as many values each: 'cmdline' has 1, 'ram' has 2")]
    public void Errors_name_the_place(string text, string expected) =>
        Assert.StartsWith(expected, Error(text), StringComparison.Ordinal);

    [Fact]
    public void A_tab_or_bad_yaml_is_reported_like_in_scenarios() =>
        Assert.StartsWith("dir/s.yaml:2:1: error: tab character in indentation", Error("schema: dmasim-sweep/v1\n\tname: s\n"), StringComparison.Ordinal);
}
