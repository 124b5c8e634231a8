using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>
/// init_no_remapping_devices: a unit whose scope holds no present device is ignored, and a graphics-only unit is
/// ignored under intel_iommu=igfx_off, its GPU left untranslated and given physical addresses. An ignored unit prints
/// no invalidation line and takes no part in the capability audit; the Dell R750xs log, imported without its table,
/// comes back with its three invalidation lines of five units.
/// </summary>
public sealed class IgnoredUnitTests
{
    private const ulong StolenRmrr = 0x7b800000;

    /// <summary>A laptop: the GPU alone on dmar0 (with its stolen-memory RMRR), a NIC under the include-all dmar1.</summary>
    private static SimMachine Boot(string profile, string cmdline, string gpuClass = "0x030000")
    {
        var s = new ScenarioBuilder("igfx", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, StolenRmrr - 1).Reserved(StolenRmrr, 0x7fffffff).Usable(0x100000000, 0x17fffffff)
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"], pass-through: true }", 39)
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true, pass-through: true }")
            .Rmrr(StolenRmrr, StolenRmrr + 0xfff, "00:02.0")
            .Device("00:02.0", "gpu", "scripted", 39, extra: $"class: {gpuClass}")
            .Device("00:19.0", "nic", "scripted", 64, extra: "class: 0x020000")
            .Kernel(profile, cmdline)
            .Build("igfx.yaml");
        return SimMachine.Boot(s, ProfileCatalog.Find(profile)!, s.Kernel.Cmdline);
    }

    private static List<string> Log(SimMachine m) => [.. m.Events.LogLines()];

    private static KernelDevice Gpu(SimMachine m) => m.Kernel.Devices.Single(d => d.Name == "gpu");

    private static VtdUnit GfxUnit(SimMachine m) => m.Remappers[0].Unit;

    [Theory]
    [InlineData("linux-6.1", "DMAR: IOMMU enabled", "DMAR: Disable GFX device mapping", "DMAR: dmar1: Using Queued invalidation")]
    [InlineData("linux-4.19", "DMAR: IOMMU enabled", "DMAR: Disable GFX device mapping", "DMAR: dmar1: Using Queued invalidation")]
    [InlineData("linux-2.6.32", "Intel-IOMMU: enabled", "Intel-IOMMU: disable GFX device mapping", "IOMMU 0xfed91000: using Queued invalidation")]
    public void Igfx_off_ignores_the_graphics_unit_and_its_gpu_maps_physical_addresses(string profile, string on, string igfx, string qi)
    {
        var m = Boot(profile, "intel_iommu=on,igfx_off");
        var log = Log(m);
        // intel_iommu_setup reports each option as it meets it.
        Assert.Equal(log.IndexOf(on) + 1, log.IndexOf(igfx));
        // Only the include-all unit is set up: one invalidation line, no RMRR map for the dummy GPU.
        Assert.Single(log, l => l.EndsWith(" invalidation", StringComparison.Ordinal) && !l.StartsWith("dmasim:", StringComparison.Ordinal));
        Assert.Contains(qi, log);
        Assert.DoesNotContain(log, l => l.Contains("Setting identity map", StringComparison.Ordinal) && l.Contains("00:02.0", StringComparison.Ordinal));
        Assert.False(GfxUnit(m).TranslationEnabled);
        Assert.True(m.Remappers[1].Unit.TranslationEnabled);
        // The GPU's DMA API hands out its buffer's physical address (iommu_no_mapping's dummy test to 5.8, dma-direct after;
        // the 39-bit mask covers the buffer, so dma-direct need not bounce), and the fabric carries it untranslated.
        var gpu = Gpu(m);
        Assert.Equal(DeviceDomain.None, gpu.Domain);
        m.Kernel.Dma.SetMask(gpu, DmaMask.Bits(39)); // as i915 sets it
        var buffer = new PhysAddr(0x140000000);
        var r = m.Kernel.Dma.Map(gpu, buffer, 4096, DmaDirection.Bidirectional);
        Assert.True(r.Ok);
        Assert.Equal(buffer.Value, r.Address.Value);
        Assert.Equal(TranslationOutcome.Untranslated, GfxUnit(m).Translate(Bdf.Parse("00:02.0").RequesterId, buffer.Value, isWrite: true).Outcome);
    }

    [Theory]
    [InlineData("linux-6.1")]
    [InlineData("linux-2.6.32")]
    public void Without_igfx_off_the_graphics_unit_translates_and_maps_the_gpus_rmrr(string profile)
    {
        var m = Boot(profile, "intel_iommu=on");
        var log = Log(m);
        Assert.Equal(2, log.Count(l => l.Contains("using Queued invalidation", StringComparison.OrdinalIgnoreCase)));
        Assert.True(GfxUnit(m).TranslationEnabled);
        Assert.NotEqual(DeviceDomain.None, Gpu(m).Domain);
        Assert.True(GfxUnit(m).Translate(Bdf.Parse("00:02.0").RequesterId, StolenRmrr + 0x40, isWrite: false).IsSuccess);
    }

    [Fact]
    public void A_unit_serving_a_display_function_and_anything_else_is_not_graphics_dedicated()
    {
        // The same unit with a non-display function in its scope (class 0x048000, multimedia) stays on under igfx_off.
        var m = Boot("linux-6.1", "intel_iommu=on,igfx_off", gpuClass: "0x048000");
        Assert.True(GfxUnit(m).TranslationEnabled);
        Assert.Equal(2, Log(m).Count(l => l.EndsWith("Using Queued invalidation", StringComparison.Ordinal)));
    }

    /// <summary>The X1 Carbon's registers: its graphics unit (dmar0) differs from the include-all one in six audited features.</summary>
    private static List<string> AuditLines(string cmdline)
    {
        var s = new ScenarioBuilder("audit", seed: 1)
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, devices: [\"00:02.0\"], cap: 1c0000c40660462, ecap: 29a00f0505e, ver: \"4:0\" }", 39)
            .UnitRaw("{ base: 0xfed91000, include-pci-all: true, cap: d2008c40660462, ecap: f050da }")
            .Device("00:02.0", "gpu", "scripted", 39, extra: "class: 0x030000")
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel("linux-6.1", cmdline)
            .Build("audit.yaml");
        var m = SimMachine.Boot(s, ProfileCatalog.Find("linux-6.1")!, s.Kernel.Cmdline);
        return [.. Log(m).Where(l => l.StartsWith("DMAR: IOMMU feature", StringComparison.Ordinal))];
    }

    [Fact]
    public void The_capability_audit_leaves_an_ignored_unit_out()
    {
        // cap_audit_static walks for_each_active_iommu, and init_no_remapping_devices ran before it.
        Assert.Equal(6, AuditLines("intel_iommu=on").Count);
        Assert.Empty(AuditLines("intel_iommu=on,igfx_off"));
    }

    [Fact]
    public void A_table_unit_whose_scope_names_only_absent_devices_is_ignored()
    {
        // dmar0's scope names 00:1c.0, which is not present; dmar1 is include-all. Both report QEMU's registers, so the
        // audit has nothing to say either way; what the ignore changes is the invalidation line and translation.
        var table = Path.Combine(Path.GetTempPath(), $"dmasim-ignored-{Environment.ProcessId}.dat");
        File.WriteAllBytes(table, DmarBuilder.BuildBytes(new DmarMachineSpec(39,
            [
                new DmarUnitSpec(0xfed90000, false, [new DeviceScope(DeviceScopeType.Endpoint, 0, 0, [new PciPathEntry(0x1c, 0)])]),
                new DmarUnitSpec(0xfed91000, true, []),
            ], [])));
        try
        {
            var s = new ScenarioBuilder("absent", seed: 1)
                .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
                .DmarTable(table)
                .Device("00:19.0", "nic", "scripted", 64)
                .Kernel("linux-6.1", "intel_iommu=on")
                .Build("absent.yaml");
            var m = SimMachine.Boot(s, ProfileCatalog.Find("linux-6.1")!, s.Kernel.Cmdline);
            var log = Log(m);
            Assert.Equal(["DMAR: dmar1: Using Queued invalidation"], log.Where(l => l.EndsWith(" invalidation", StringComparison.Ordinal) && !l.StartsWith("dmasim:", StringComparison.Ordinal)));
            Assert.Contains(log, l => l.StartsWith("dmasim: dmar0 (0xfed90000) ignored: no PCI device of its scope is present", StringComparison.Ordinal));
            Assert.False(m.Remappers[0].Unit.TranslationEnabled);
            Assert.True(m.Remappers[1].Unit.TranslationEnabled);
        }
        finally
        {
            File.Delete(table);
        }
    }

    [Fact]
    public void The_r750xs_log_imported_without_its_table_prints_its_three_invalidation_lines()
    {
        var path = SharedData.Path_("dmesg-rmrr", "dell-poweredge-r750xs_5.4.0-86-generic-iommu-pt.dmesg.txt");
        static List<string> Lines(IEnumerable<string> log) => [.. log.Where(l => !l.StartsWith('#')).Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..])
            .Where(l => l.EndsWith(" invalidation", StringComparison.Ordinal) && l.StartsWith("DMAR: dmar", StringComparison.Ordinal))];
        var want = Lines(File.ReadLines(path));
        Assert.Equal(["DMAR: dmar3: Using Queued invalidation", "DMAR: dmar0: Using Queued invalidation", "DMAR: dmar4: Using Queued invalidation"], want);
        var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
        Assert.Equal(2, yaml.Split('\n').Count(l => l.Contains("devices-present: false", StringComparison.Ordinal)));
        var run = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "r750xs.yaml"), ProfileCatalog.Find("linux-5.4")!);
        Assert.Equal(want, Lines(run.Log));
    }

    [Fact]
    public void Devices_present_false_needs_a_unit_of_unknown_scope()
    {
        var yaml = new ScenarioBuilder("bad")
            .Usable(0x0, 0x9ffff).Usable(0x100000, 0x7fffffff)
            .UnitRaw("{ base: 0xfed90000, include-pci-all: true, devices-present: false }", 39)
            .Device("00:19.0", "nic", "scripted", 64)
            .Kernel("linux-6.1", "")
            .Yaml();
        var e = Assert.Throws<InputException>(() => ScenarioLoader.Parse(yaml, "bad.yaml"));
        Assert.Contains("'devices-present: false' describes a unit of unknown scope", e.Message, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:", e.Message, StringComparison.Ordinal);
    }
}
