using static DmaSim.Scenarios.Tests.TestYaml;

namespace DmaSim.Scenarios.Tests;

/// <summary>Errors of `drivers:`, `workload:` and `expect:`; steps start on line 12.</summary>
public sealed class WorkloadErrorTests
{
    private static string Steps(params string[] steps) => Build(tail: "workload:\n" + string.Concat(steps.Select(s => "  - " + s + "\n")));

    private static string Expect(string entry) => Build(tail: "expect:\n  - " + entry + "\n");

    [Fact]
    public void Size_with_unknown_unit() => Assert.Equal(
        "t.yaml:12:46: error: size: unknown size unit 'MB' in '64MB'; units are KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024)",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 64MB, as: r }")));

    [Fact]
    public void Unknown_device_in_a_step() => Assert.Equal(
        "t.yaml:12:15: error: unknown device 'disk' (declared: dev)",
        Error(Steps("{ device: disk, run: io }")));

    [Fact]
    public void Unknown_device_in_a_driver_entry() => Assert.Equal(
        "t.yaml:12:15: error: unknown device 'dve' (did you mean 'dev'?)",
        Error(Build(tail: "drivers:\n  - { device: dve, dma-mask-bits: 64 }\n")));

    [Fact]
    public void Unknown_device_in_an_expectation() => Assert.Equal(
        "t.yaml:12:15: error: unknown device 'nic' (declared: dev)",
        Error(Expect("{ device: nic, outcome: ok }")));

    [Fact]
    public void Device_referenced_by_bdf_is_stored_by_name()
    {
        var s = Parse(Build(tail: "drivers:\n  - { device: \"03:00.0\", coherent-dma-mask-bits: 32 }\n"));
        Assert.Equal(new DriverConfig("dev", null, 32, new DmaSim.Core.SourceSpan(FileName, 12, 5)), s.Drivers[0]);
    }

    [Fact]
    public void Bridge_as_a_dma_device() => Assert.Equal(
        "t.yaml:13:15: error: 'rp' is a pcie-root-port; bridges do no DMA of their own",
        Error(Build("    - { bdf: \"00:1c.0\", name: rp, model: pcie-root-port, secondary-bus: 3 }\n",
            "drivers:\n  - { device: rp, dma-mask-bits: 64 }\n")));

    [Fact]
    public void Duplicate_driver_entry() => Assert.Equal(
        "t.yaml:13:5: error: 'dev' already has a driver entry at line 12",
        Error(Build(tail: "drivers:\n  - { device: dev, dma-mask-bits: 64 }\n  - { device: \"03:00.0\", coherent-dma-mask-bits: 32 }\n")));

    [Fact]
    public void Mask_bits_outside_1_to_64() => Assert.Equal(
        "t.yaml:12:35: error: dma-mask-bits must be between 1 and 64, not 65",
        Error(Build(tail: "drivers:\n  - { device: dev, dma-mask-bits: 65 }\n")));

    [Fact]
    public void Set_mask_bits_outside_1_to_64() => Assert.Equal(
        "t.yaml:12:58: error: coherent-dma-mask-bits must be between 1 and 64, not 0",
        Error(Steps("{ device: dev, op: set-mask, coherent-dma-mask-bits: 0 }")));

    [Fact]
    public void Set_mask_without_a_mask() => Assert.Equal(
        "t.yaml:12:5: error: op set-mask needs 'dma-mask-bits' or 'coherent-dma-mask-bits'",
        Error(Steps("{ device: dev, op: set-mask }")));

    [Fact]
    public void Unknown_op() => Assert.Equal(
        "t.yaml:12:24: error: unknown op 'mmap' (did you mean 'map'?)",
        Error(Steps("{ device: dev, op: mmap }")));

    [Fact]
    public void Unknown_run() => Assert.Equal(
        "t.yaml:12:25: error: unknown run 'fio' (did you mean 'io'?)",
        Error(Steps("{ device: dev, run: fio }")));

    [Fact]
    public void Run_io_on_a_scripted_device() => Assert.Equal(
        "t.yaml:13:23: error: 's' is a scripted, which has no built-in io job; script it with op: steps",
        Error(Build("    - { bdf: \"04:00.0\", name: s, model: scripted, address-bits: 32 }\n", "workload:\n  - { device: s, run: io }\n")));

    [Fact]
    public void Run_firmware_dma_without_firmware_dma() => Assert.Equal(
        "t.yaml:12:25: error: run: firmware-dma needs a device with firmware-dma: rmrr; 'dev' has none",
        Error(Steps("{ device: dev, run: firmware-dma }")));

    [Fact]
    public void Unknown_direction() => Assert.Equal(
        "t.yaml:12:52: error: unknown direction 'both'; expected one of: to-device, from-device, bidirectional",
        Error(Steps("{ device: dev, op: map, size: 4KiB, direction: both, as: m }")));

    [Fact]
    public void Step_without_a_kind() => Assert.Equal(
        "t.yaml:12:5: error: a workload step needs 'op', 'run' or 'hotplug-memory'",
        Error(Steps("{ device: dev }")));

    [Fact]
    public void Step_with_two_kinds() => Assert.Equal(
        "t.yaml:12:29: error: a step does one thing: 'run' and 'op' together",
        Error(Steps("{ device: dev, run: io, op: map }")));

    [Fact]
    public void Key_that_does_not_apply_to_the_op() => Assert.Equal(
        "t.yaml:13:50: error: key 'bytes' does not apply to op free-coherent",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 4KiB, as: r }", "{ device: dev, op: free-coherent, target: r, bytes: 8 }")));

    [Fact]
    public void Op_missing_its_field() => Assert.Equal(
        "t.yaml:12:5: error: op alloc-coherent needs 'as'",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 4KiB }")));

    [Fact]
    public void Map_without_size_or_buffer() => Assert.Equal(
        "t.yaml:12:5: error: op map needs 'size' (a fresh kernel buffer) or 'buffer' (one made by alloc-buffer)",
        Error(Steps("{ device: dev, op: map, direction: to-device, as: m }")));

    [Fact]
    public void Target_never_created() => Assert.Equal(
        "t.yaml:12:39: error: target 'buf' names no buffer created by an earlier step",
        Error(Steps("{ device: dev, op: unmap, target: buf }")));

    [Fact]
    public void Target_created_only_later() => Assert.Equal(
        "t.yaml:12:43: error: target 'r' names no buffer created by an earlier step",
        Error(Steps("{ device: dev, op: dma-write, target: r }", "{ device: dev, op: alloc-coherent, size: 4KiB, as: r }")));

    [Fact]
    public void Buffer_never_created() => Assert.Equal(
        "t.yaml:12:59: error: buffer 'hi' names no buffer created by an earlier step",
        Error(Steps("{ device: dev, op: map, direction: to-device, buffer: hi, as: m }")));

    [Fact]
    public void Duplicate_as_name() => Assert.Equal(
        "t.yaml:13:56: error: buffer name 'r' is already used at line 12",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 4KiB, as: r }", "{ device: dev, op: alloc-coherent, size: 4KiB, as: r }")));

    [Fact]
    public void Target_of_the_wrong_kind() => Assert.Equal(
        "t.yaml:13:39: error: op unmap cannot use 'r': it was made by alloc-coherent at line 12",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 4KiB, as: r }", "{ device: dev, op: unmap, target: r }")));

    [Fact]
    public void Repeat_below_one() => Assert.Equal(
        "t.yaml:12:67: error: repeat must be between 1 and 1048576, not 0",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 4KiB, as: r, repeat: 0 }")));

    [Fact]
    public void Zero_size() => Assert.Equal(
        "t.yaml:12:46: error: size must be at least 1",
        Error(Steps("{ device: dev, op: alloc-coherent, size: 0, as: r }")));

    [Fact]
    public void Alloc_buffer_beyond_the_address_space() => Assert.Equal(
        "t.yaml:12:50: error: buffer at 0xfffffff000 of 64KiB runs past the 40-bit physical address space",
        Error(Steps("{ op: alloc-buffer, size: 64KiB, as: hi, at: 0xfffffff000 }")));

    [Fact]
    public void Hotplug_overlapping_e820() => Assert.Equal(
        "t.yaml:12:23: error: hot-plugged range [0x80000000-0x13fffffff] overlaps e820 entry [0x0-0xbfffffff] (line 6)",
        Error(Steps("{ hotplug-memory: { start: 0x80000000, end: 0x13fffffff } }")));

    /// <summary>A range of less than whole pages reached the page allocator and ended as an internal error (a fuzz seed found it).</summary>
    [Theory]
    [InlineData("0x100000800", "0x100000fff")]
    [InlineData("0x100000000", "0x1000007ff")]
    public void Hotplug_of_part_of_a_page(string start, string end) => Assert.Equal(
        $"t.yaml:12:23: error: hot-plugged range [{start}-{end}] must start and end on 4 KiB page boundaries (start 0x…000, end 0x…fff)",
        Error(Steps($"{{ hotplug-memory: {{ start: {start}, end: {end} }} }}")));

    [Fact]
    public void Hotplug_overlapping_an_earlier_hotplug() => Assert.Equal(
        "t.yaml:13:23: error: hot-plugged range [0x140000000-0x1bfffffff] overlaps [0x100000000-0x17fffffff], hot-plugged at line 12",
        Error(Steps("{ hotplug-memory: { start: 0x100000000, end: 0x17fffffff } }", "{ hotplug-memory: { start: 0x140000000, end: 0x1bfffffff } }")));

    [Fact]
    public void Hotplug_with_extra_key() => Assert.Equal(
        "t.yaml:12:65: error: unknown key 'device' in hotplug-memory step; expected one of: hotplug-memory, repeat",
        Error(Steps("{ hotplug-memory: { start: 0x100000000, end: 0x17fffffff }, device: dev }")));

    [Fact]
    public void Hotplug_repeated() => Assert.Equal(
        "t.yaml:12:73: error: repeat 2 would hot-plug [0x100000000-0x17fffffff] 2 times; a range appears once",
        Error(Steps("{ hotplug-memory: { start: 0x100000000, end: 0x17fffffff }, repeat: 2 }")));

    [Fact]
    public void Hotplug_repeat_1_is_accepted_as_any_step_may_carry_repeat() =>
        Assert.True(Parse(Steps("{ hotplug-memory: { start: 4GiB, end: 0x17fffffff }, repeat: 1 }")).Workload[0].Repeated);

    [Fact]
    public void Unknown_outcome() => Assert.Equal(
        "t.yaml:12:29: error: unknown outcome 'crash'; expected one of: ok, stall, corruption, fault, map-error, firmware-fault, panic",
        Error(Expect("{ device: dev, outcome: crash }")));

    [Fact]
    public void Unknown_domain() => Assert.Equal(
        "t.yaml:12:28: error: unknown domain 'identiy' (did you mean 'identity'?)",
        Error(Expect("{ device: dev, domain: identiy }")));

    [Fact]
    public void Unknown_dma_ops() => Assert.Equal(
        "t.yaml:12:29: error: unknown dma-ops 'iommu'; expected one of: intel-iommu, swiotlb, direct",
        Error(Expect("{ device: dev, dma-ops: iommu }")));

    [Fact]
    public void Unknown_profile_in_an_expectation() => Assert.Equal(
        "t.yaml:12:54: error: unknown profile 'linux-5.11'; expected one of: linux-2.6.31, linux-2.6.32-rc5, linux-2.6.32-rc5+alex, linux-2.6.32-rc5+dwmw2, linux-2.6.32, linux-2.6.32.7, linux-2.6.33, linux-3.0, linux-4.19, linux-5.4, linux-5.10, linux-5.15, linux-6.1, linux-6.6, linux-6.12",
        Error(Expect("{ device: dev, outcome: ok, profile: [linux-3.0, linux-5.11] }")));

    [Fact]
    public void Expectation_checking_two_things() => Assert.Equal(
        "t.yaml:12:33: error: an expect entry checks one thing: 'outcome' and 'domain' together; split it",
        Error(Expect("{ device: dev, outcome: ok, domain: identity }")));

    [Fact]
    public void Expectation_checking_nothing() => Assert.Equal(
        "t.yaml:12:5: error: an expect entry needs one of: outcome, domain, dma-ops, finding, log-contains",
        Error(Expect("{ device: dev }")));

    [Fact]
    public void Log_contains_with_a_device() => Assert.Equal(
        "t.yaml:12:29: error: log-contains searches the whole log; it takes no 'device'",
        Error(Expect("{ log-contains: \"DMAR\", device: dev }")));

    [Fact]
    public void Profile_as_one_name() =>
        Assert.Equal<string>(["linux-6.1"], Parse(Expect("{ device: dev, outcome: ok, profile: linux-6.1 }")).Expect[0].Profiles);
}
