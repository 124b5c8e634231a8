using DmaSim.Core;
using DmaSim.Scenarios.Sweep;

namespace DmaSim.Scenarios.Tests.Sweep;

/// <summary>Applying axes to a scenario: `set:` by path, the `ram:` rule, and the shrinker's edits.</summary>
public sealed class ScenarioTemplateTests
{
    private const string Scenario =
        "schema: dmasim/v1\n" +
        "name: t\n" +
        "platform:\n" +
        "  physical-address-bits: 40\n" +
        "  memory:\n" +
        "    - { start: 0x0, end: 0x9ffff, type: usable }\n" +
        "    - { start: 0x100000, end: 0xbfffffff, type: usable }\n" +
        "    - { start: 0xc0000000, end: 0xffffffff, type: reserved }\n" +
        "    - { start: 0x100000000, end: 0x23fffffff, type: usable }\n" +
        "  devices:\n" +
        "    - { bdf: \"03:00.0\", name: dev, model: storage-controller, address-bits: 64 }\n" +
        "    - { bdf: \"04:00.0\", name: other, model: scripted, address-bits: 32 }\n" +
        "kernel:\n  profile: linux-2.6.32\n  cmdline: intel_iommu=on\n" +
        "workload:\n" +
        "  - { device: dev, run: io, count: 8, size: 4KiB }\n" +
        "  - { device: other, op: map, size: 4KiB, direction: to-device, as: b }\n" +
        "expect:\n  - { device: other, outcome: ok }\n";

    private static readonly SourceSpan _spec = new("spec.yaml", 7, 9);

    private static ScenarioTemplate T => ScenarioTemplate.Parse(Scenario, "t.yaml");

    private static AxisValue V(string text) => new(text, false, _spec);

    private static List<(ulong, ulong, MemoryType)> Memory(Scenario s) =>
        [.. s.Platform.Memory.Select(m => (m.Range.Start.Value, m.Range.End.Value, m.Type))];

    [Fact]
    public void Set_replaces_a_device_scalar_found_through_platform()
    {
        var s = T.With("devices.dev.descriptor-address-bits", V("36"), _spec).Build();
        Assert.Equal(36, s.Platform.Devices.Single(d => d.Name == "dev").DescriptorAddressBits);
    }

    [Fact]
    public void Set_creates_the_driver_entry_a_device_lacks()
    {
        var s = T.With("drivers.dev.coherent-dma-mask-bits", V("64"), _spec).Build();
        Assert.Equal(64, s.DriverFor("dev")!.CoherentDmaMaskBits);
        Assert.Null(s.DriverFor("dev")!.DmaMaskBits);
    }

    [Fact]
    public void Set_addresses_list_items_by_index_and_full_paths()
    {
        var s = T.With("workload.0.count", V("3"), _spec).With("kernel.cmdline", V("intel_iommu=off"), _spec).Build();
        Assert.Equal(3UL, ((RunStep)s.Workload[0]).Count);
        Assert.Equal("intel_iommu=off", s.Kernel.Cmdline);
    }

    [Fact]
    public void A_bad_value_is_reported_where_the_spec_wrote_it() =>
        Assert.Equal("spec.yaml:7:9: error: address-bits must be between 24 and 64, not 99",
            Assert.Throws<InputException>(() => T.With("devices.dev.address-bits", V("99"), _spec).Build()).Message);

    [Fact]
    public void A_path_that_names_nothing_is_reported_at_the_path() =>
        Assert.Equal("spec.yaml:7:9: error: path 'devices.nosuch.address-bits': no item 'nosuch' in 'platform.devices' (items: dev, other)",
            Assert.Throws<InputException>(() => T.With("devices.nosuch.address-bits", V("32"), _spec)).Message);

    [Fact]
    public void Ram_that_fits_below_4GiB_cuts_the_low_map_and_drops_high_ram()
    {
        var s = T.WithRam(Sizes.GiB, _spec).Build();
        Assert.Equal([(0x0UL, 0x9ffffUL, MemoryType.Usable), (0x100000UL, 0x400fffffUL - 0xa0000, MemoryType.Usable), (0xc0000000UL, 0xffffffffUL, MemoryType.Reserved)], Memory(s));
        Assert.Equal(Sizes.GiB, T.WithRam(Sizes.GiB, _spec).UsableRam);
    }

    [Fact]
    public void Ram_above_what_fits_keeps_the_low_map_and_puts_the_rest_from_4GiB()
    {
        var t = T.WithRam(64 * Sizes.GiB, _spec);
        var low = 0xa0000UL + 0xbff00000UL;
        Assert.Equal((0x100000000UL, 0x100000000UL + (64 * Sizes.GiB) - low - 1, MemoryType.Usable), Memory(t.Build())[^1]);
        Assert.Equal(64 * Sizes.GiB, t.UsableRam);
    }

    [Fact]
    public void Removing_a_device_removes_its_steps_and_expectations()
    {
        var s = T.WithoutDevice("other").Build();
        Assert.Equal(["dev"], s.Platform.Devices.Select(d => d.Name));
        Assert.Single(s.Workload);
        Assert.Empty(s.Expect);
    }

    [Fact]
    public void Written_yaml_loads_to_the_same_scenario()
    {
        var t = T.With("devices.dev.address-bits", V("40"), _spec).WithRam(5 * Sizes.GiB, _spec);
        var text = t.ToYaml(["a comment", "two"]);
        Assert.StartsWith("# a comment\n# two\nschema: dmasim/v1\n", text, StringComparison.Ordinal);
        var again = ScenarioLoader.Parse(text, "again.yaml");
        var before = t.Build();
        Assert.Equal(Memory(before), Memory(again));
        Assert.Equal(before.Platform.Devices.Select(d => (d.Name, d.AddressBits, d.Bdf)), again.Platform.Devices.Select(d => (d.Name, d.AddressBits, d.Bdf)));
        Assert.Equal(before.Workload.Length, again.Workload.Length);
        Assert.Equal(before.Kernel, again.Kernel with { Span = before.Kernel.Span });
    }

    [Fact]
    public void Scalars_lists_widths_with_paths_that_set_accepts()
    {
        var found = T.Scalars("address-bits");
        Assert.Equal(["platform.devices.dev.address-bits", "platform.devices.other.address-bits"], found.Select(f => f.Path));
        Assert.Equal(48, T.With(found[0].Path, V("48"), _spec).Build().Platform.Devices[0].AddressBits);
    }
}
