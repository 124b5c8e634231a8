using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>
/// A DRHD at register base 0, as a real Dell XPS 13 9310 on 5.10 logged it (mailing-list log): the probe-time
/// check warns first; later the parse prints the table up to the zero unit, no unit line for it, and
/// "DMAR: Parse DMAR table failure.". The walk stops there, so later structures are not printed.
/// </summary>
public sealed class ZeroBaseDrhdLogTests
{
    private const string Machine = """
        schema: dmasim/v1
        name: zero-base-drhd
        platform:
          physical-address-bits: 39
          memory:
            - { start: 0x0, end: 0x9ffff, type: usable }
            - { start: 0x100000, end: 0x7fffffff, type: usable }
          iommu:
            host-address-width: 39
            units:
              - { base: 0xfed90000, devices: ["00:02.0"] }
              - { base: 0x0, include-pci-all: true }
            rmrr:
              - { start: 0x7e000000, end: 0x7e0fffff, devices: ["00:14.0"] }
          devices:
            - { bdf: "00:14.0", name: xhci, model: scripted, address-bits: 64 }
            - { bdf: "00:02.0", name: gpu, model: scripted, address-bits: 39 }
        kernel:
          profile: linux-6.1
          cmdline: intel_iommu=on
        """;

    private static List<string> Log(string profile)
    {
        var r = ScenarioRunner.Run(ScenarioLoader.Parse(Machine, "zero-base-drhd.yaml"), ProfileCatalog.Find(profile)!);
        Assert.All(r.Devices, d => Assert.Null(d.Group));
        return [.. r.Log.Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..])];
    }

    [Theory]
    [InlineData("linux-5.10")]
    [InlineData("linux-6.1")]
    public void Modern_kernels_warn_at_probe_then_stop_the_parse_at_the_zero_unit(string profile)
    {
        var log = Log(profile);
        var dmar = log.Where(l => l.StartsWith("DMAR:", StringComparison.Ordinal)).ToList();
        // intel_iommu=on is reported while start_kernel parses the command line, before the early table probe warns.
        Assert.Equal(
        [
            "DMAR: IOMMU enabled",
            "DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!",
            "DMAR: Host address width 39",
            "DMAR: DRHD base: 0x000000fed90000 flags: 0x0",
            dmar[4],
            "DMAR: DRHD base: 0x00000000000000 flags: 0x1",
            "DMAR: Parse DMAR table failure.",
        ], dmar.Take(7));
        Assert.StartsWith("DMAR: dmar0: reg_base_addr fed90000 ", dmar[4], StringComparison.Ordinal);
        Assert.DoesNotContain(log, l => l.Contains("reg_base_addr 0 ", StringComparison.Ordinal) || l.Contains("RMRR base", StringComparison.Ordinal));
    }

    [Fact]
    public void The_2_6_31_parse_stops_with_its_warning_and_no_failure_line()
    {
        var log = Log("linux-2.6.31");
        var zero = log.IndexOf("DMAR:DRHD base: 0x00000000000000 flags: 0x1");
        Assert.True(zero > 0);
        Assert.Equal("Your BIOS is broken; DMAR reported at address zero!", log[zero + 1]);
        Assert.DoesNotContain(log, l => l.Contains("DMAR table failure", StringComparison.Ordinal) || l.Contains("RMRR base", StringComparison.Ordinal));
    }
}
