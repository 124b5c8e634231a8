using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>Each error kind of the header and `platform:` sections, with its exact "FILE:LINE:COL: error:" text.</summary>
public sealed class PlatformErrorTests
{
    [Fact]
    public void The_base_scenario_is_valid() => Assert.Equal("t", Parse(Build()).Name);

    [Fact]
    public void Unknown_top_level_key() => Assert.Equal(
        "t.yaml:11:1: error: unknown key 'colour' in scenario; expected one of: schema, name, description, seed, platform, kernel, drivers, workload, expect",
        Error(Build(tail: "colour: red\n")));

    [Fact]
    public void Unknown_key_with_a_close_match_suggests_it() => Assert.Equal(
        "t.yaml:8:63: error: unknown key 'adress-bits' in device (did you mean 'address-bits'?)",
        Error(With("address-bits: 64", "adress-bits: 64")));

    [Fact]
    public void Bad_number() => Assert.Equal(
        "t.yaml:4:26: error: physical-address-bits: 'forty' is not a number (write decimal, 0x hex, or a size such as 64KiB)",
        Error(With("physical-address-bits: 40", "physical-address-bits: forty")));

    [Fact]
    public void Number_too_big_for_64_bits() => Assert.Equal(
        "t.yaml:11:7: error: seed: '18446744073709551616' does not fit in 64 bits",
        Error(Build(tail: "seed: 18446744073709551616\n")));

    [Fact]
    public void Number_out_of_its_range() => Assert.Equal(
        "t.yaml:4:26: error: physical-address-bits must be between 32 and 52, not 60",
        Error(With("physical-address-bits: 40", "physical-address-bits: 60")));

    [Fact]
    public void Missing_required_field() => Assert.Equal(
        "t.yaml:8:7: error: device needs 'model'",
        Error(With(" model: storage-controller,", "")));

    [Fact]
    public void Missing_platform() => Assert.Equal(
        "t.yaml:1:1: error: scenario needs 'platform'",
        Error("schema: dmasim/v1\nname: t\nkernel:\n  profile: linux-3.0\n"));

    [Fact]
    public void Wrong_schema() => Assert.Equal(
        "t.yaml:1:9: error: unsupported schema 'dmasim/v2'; this build reads dmasim/v1",
        Error(With("schema: dmasim/v1", "schema: dmasim/v2")));

    [Fact]
    public void Missing_schema() => Assert.Equal(
        "t.yaml:1:1: error: scenario needs 'schema: dmasim/v1'",
        Error(With("schema: dmasim/v1\n", "")));

    [Fact]
    public void Empty_file() => Assert.Equal(
        "t.yaml:1:1: error: the file is empty; a scenario starts with 'schema: dmasim/v1'",
        Error(""));

    [Fact]
    public void Not_a_mapping() => Assert.Equal(
        "t.yaml:1:1: error: scenario must be a mapping, not a list",
        Error("- schema: dmasim/v1\n"));

    [Fact]
    public void Overlapping_e820_entries() => Assert.Equal(
        "t.yaml:7:7: error: e820 entry [0xb0000000-0xcfffffff] overlaps [0x0-0xbfffffff] (line 6)",
        Error(With("type: usable }\n", "type: usable }\n    - { start: 0xb0000000, end: 0xcfffffff, type: reserved }\n")));

    [Fact]
    public void Range_end_below_start() => Assert.Equal(
        "t.yaml:6:29: error: end 0xfff is below start 0x1000 (ranges are inclusive: end is the last byte)",
        Error(With("{ start: 0x0, end: 0xbfffffff,", "{ start: 0x1000, end: 0xfff,")));

    [Fact]
    public void Address_beyond_physical_address_bits() => Assert.Equal(
        "t.yaml:6:26: error: end 0x10000000000 is beyond the 40-bit physical address space (max 0xffffffffff)",
        Error(With("end: 0xbfffffff", "end: 0x10000000000")));

    [Fact]
    public void Unknown_memory_type() => Assert.Equal(
        "t.yaml:6:44: error: unknown memory type 'ram'; expected one of: usable, reserved, acpi, nvs, unusable",
        Error(With("type: usable", "type: ram")));

    [Fact]
    public void No_usable_memory() => Assert.Equal(
        "t.yaml:6:5: error: memory has no usable entry; the kernel needs RAM to boot",
        Error(With("type: usable", "type: reserved")));

    [Fact]
    public void Unknown_profile() => Assert.Equal(
        "t.yaml:10:12: error: unknown profile 'rhel-5'; expected one of: linux-2.6.31, linux-2.6.32-rc5, linux-2.6.32-rc5+alex, linux-2.6.32-rc5+dwmw2, linux-2.6.32, linux-2.6.32.7, linux-2.6.33, linux-3.0, linux-4.19, linux-5.4, linux-5.10, linux-5.15, linux-6.1, linux-6.6, linux-6.12",
        Error(With("profile: linux-2.6.32", "profile: rhel-5")));

    [Fact]
    public void Duplicate_device_name() => Assert.Equal(
        "t.yaml:9:7: error: duplicate device name 'dev' (first at line 8)",
        Error(Build("    - { bdf: \"04:00.0\", name: dev, model: scripted, address-bits: 32 }\n")));

    [Fact]
    public void Duplicate_bdf() => Assert.Equal(
        "t.yaml:9:7: error: duplicate BDF 03:00.0: 'dev' (line 8) is already there",
        Error(Build("    - { bdf: \"0000:03:00.0\", name: dev2, model: scripted, address-bits: 32 }\n")));

    [Theory]
    [InlineData("3:0.0")]
    [InlineData("03:20.0")]
    [InlineData("03:00.8")]
    [InlineData("0001:03:00.0")]
    public void Bad_bdf(string bdf) => Assert.Equal(
        $"t.yaml:8:14: error: bad BDF '{bdf}': write bus:device.function in hex, e.g. \"03:00.0\" (device 00-1f, function 0-7)",
        Error(With("\"03:00.0\"", $"\"{bdf}\"")));

    [Fact]
    public void Unknown_model_with_suggestion() => Assert.Equal(
        "t.yaml:8:43: error: unknown device model 'storage-controler' (did you mean 'storage-controller'?)",
        Error(With("model: storage-controller", "model: storage-controler")));

    [Fact]
    public void Unknown_model() => Assert.Equal(
        "t.yaml:8:43: error: unknown device model 'nic'; expected one of: storage-controller, usb-controller, scripted, pcie-root-port, pci-bridge, pcie-to-pci-bridge, pcie-upstream-port, pcie-downstream-port, host-bridge",
        Error(With("model: storage-controller", "model: nic")));

    [Fact]
    public void Bad_boolean() => Assert.Equal(
        "t.yaml:8:87: error: pcie must be true or false, not 'yes'",
        Error(With("address-bits: 64 }", "address-bits: 64, pcie: yes }")));

    [Fact]
    public void Bad_name() => Assert.Equal(
        "t.yaml:8:31: error: bad device name 'my dev': use letters, digits, '.', '_' and '-', starting with a letter or digit",
        Error(With("name: dev,", "name: my dev,")));

    [Fact]
    public void Unknown_firmware_fault() => Assert.Equal(
        "t.yaml:9:21: error: unknown firmware fault 'smm-crash'; expected one of: dmar-init-failure, drhd-at-address-zero, drhd-registers-all-ones, irq-remapping-erratum",
        Error(Build("  firmware-faults: [smm-crash]\n")));

    [Fact]
    public void Firmware_fault_is_read() => Assert.Equal<FirmwareFault>(
        [FirmwareFault.DmarInitFailure],
        Parse(Build("  firmware-faults: [dmar-init-failure]\n  iommu: { dmar-table: x.dat }\n")).Platform.FirmwareFaults);

    [Fact]
    public void Dmar_init_failure_without_an_iommu() => Assert.Equal(
        "t.yaml:9:20: error: firmware fault dmar-init-failure needs a DMAR table; give the platform an iommu",
        Error(Build("  firmware-faults: [dmar-init-failure]\n")));

    [Fact]
    public void Firmware_fault_listed_twice() => Assert.Equal(
        "t.yaml:9:40: error: firmware fault 'dmar-init-failure' is listed twice",
        Error(Build("  firmware-faults: [dmar-init-failure, dmar-init-failure]\n")));

    [Fact]
    public void Endpoint_key_on_a_bridge() => Assert.Equal(
        "t.yaml:9:76: error: key 'address-bits' does not apply to a pcie-root-port: bridges forward DMA, they do not originate it",
        Error(Build("    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port, secondary-bus: 3, address-bits: 64 }\n")));

    [Fact]
    public void Bridge_without_secondary_bus() => Assert.Equal(
        "t.yaml:9:7: error: device needs 'secondary-bus'",
        Error(Build("    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port }\n")));

    [Fact]
    public void Secondary_bus_on_an_endpoint() => Assert.Equal(
        "t.yaml:8:81: error: key 'secondary-bus' does not apply to a storage-controller; only bridges have a secondary bus",
        Error(With("address-bits: 64 }", "address-bits: 64, secondary-bus: 4 }")));

    [Fact]
    public void Two_bridges_on_one_bus() => Assert.Equal(
        "t.yaml:10:7: error: bus 03 is already the secondary bus of 'rp' (line 9)",
        Error(Build(
            "    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port, secondary-bus: 3 }\n" +
            "    - { bdf: \"00:1d.0\", name: rp2, model: pcie-root-port, secondary-bus: 3 }\n")));

    [Fact]
    public void Pcie_device_behind_a_pcie_to_pci_bridge() => Assert.Equal(
        "t.yaml:8:7: error: 'dev' sits behind PCIe-to-PCI bridge 'p2p', so it is conventional PCI: add 'pcie: false'",
        Error(Build("    - { bdf: \"00:1e.0\", name: p2p, model: pcie-to-pci-bridge, secondary-bus: 3 }\n")));

    [Fact]
    public void Bridge_loop() => Assert.Equal(
        "t.yaml:8:7: error: 'dev' is not reachable from the root bus: the bridges above bus 03 form a loop",
        Error(Build(
            "    - { bdf: \"04:00.0\", name: a, model: pci-bridge, secondary-bus: 3 }\n" +
            "    - { bdf: \"03:01.0\", name: b, model: pci-bridge, secondary-bus: 4 }\n")));

    [Fact]
    public void A_16_TiB_machine_is_a_normal_scenario()
    {
        var s = Parse(With("physical-address-bits: 40", "physical-address-bits: 46",
            "").Replace("type: usable }\n", "type: usable }\n    - { start: 4GiB, end: 0x1000ffffffff, type: usable }\n", StringComparison.Ordinal));
        Assert.Equal(16 * DmaSim.Core.Sizes.TiB, s.Platform.Memory[1].Range.Size);
    }

    [Fact]
    public void Device_on_a_bus_no_bridge_provides_hangs_off_the_host_bridge()
    {
        // DESIGN.md's own example puts 03:00.0 on a bus no declared bridge provides: allowed, no error.
        var s = Parse(Build("    - { bdf: \"00:1e.0\", name: p2p, model: pcie-to-pci-bridge, secondary-bus: 5 }\n"));
        Assert.Equal(2, s.Platform.Devices.Length);
    }
}
