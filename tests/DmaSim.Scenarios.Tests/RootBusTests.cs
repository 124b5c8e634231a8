using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>`platform: root-buses`: the root buses in the order the kernel scans them, each once, none behind a bridge.</summary>
public sealed class RootBusTests
{
    private const string Bridge = "    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port, secondary-bus: 3 }\n";

    [Fact]
    public void The_order_is_kept_as_written() =>
        Assert.Equal(new byte[] { 0x00, 0x20, 0x1f }, Parse(Build(Bridge + "  root-buses: [0x00, 0x20, 0x1f]\n")).Platform.RootBuses.ToArray());

    [Fact]
    public void Without_the_key_the_list_is_empty() => Assert.Empty(Parse(Build()).Platform.RootBuses);

    [Fact]
    public void A_bus_listed_twice_is_an_error_at_its_place() => Assert.Equal(
        "t.yaml:10:28: error: root bus 1f is listed twice",
        Error(Build(Bridge + "  root-buses: [0x00, 0x1f, 0x1f]\n")));

    [Fact]
    public void A_bridge_s_secondary_bus_is_not_a_root_bus() => Assert.Equal(
        "t.yaml:10:22: error: bus 03 is the secondary bus of 'rp' (line 9), not a root bus",
        Error(Build(Bridge + "  root-buses: [0x00, 0x03]\n")));

    [Fact]
    public void A_number_beyond_a_bus_is_an_error() => Assert.Equal(
        "t.yaml:10:22: error: root bus must be between 0 and 255, not 256",
        Error(Build(Bridge + "  root-buses: [0x00, 0x100]\n")));
}
