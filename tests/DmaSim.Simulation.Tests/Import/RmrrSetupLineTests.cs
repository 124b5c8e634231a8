using System.Text.RegularExpressions;
using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// What a real kernel prints while it sets up RMRRs, reproduced from the log alone: the order of the boot-time
/// identity maps (the kernel walks its RMRR list, built head-first, so in reverse table order), the floppy
/// workaround's 0–16 MiB map of the ISA bridge, and 5.4's per-device private DMA domains with their maps.
/// </summary>
public sealed partial class RmrrSetupLineTests
{
    /// <summary>Every sample log whose boot prints init_dmars' RMRR lines (2.6.3x – 4.x wording), as "folder/file".</summary>
    public static TheoryData<string> BootTimeLogs()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "dmesg", "dmesg-rmrr" })
            foreach (var f in Directory.GetFiles(SharedData.Path_(folder), "*.dmesg.txt").Order(StringComparer.Ordinal))
                if (File.ReadLines(f).Any(l => l.Contains("Setting identity map for device", StringComparison.Ordinal))) data.Add($"{folder}/{Path.GetFileName(f)}");
        return data;
    }

    [Fact]
    public void Sample_logs_print_boot_time_rmrr_lines() => Assert.True(BootTimeLogs().Count >= 2);

    [Theory]
    [MemberData(nameof(BootTimeLogs))]
    public void The_boot_time_rmrr_lines_come_in_the_kernels_order_with_the_isa_bridge_last(string log)
    {
        var path = SharedData.Path_(log.Split('/'));
        var (_, run) = RealLog.ImportAndRun(path, null);
        var want = SetupLines(File.ReadLines(path));
        Assert.Contains(want, l => l.EndsWith("Prepare 0-16MiB unity mapping for LPC", StringComparison.Ordinal));
        Assert.Equal(want, SetupLines(run.Log));
    }

    [Fact]
    public void Under_5_4_an_rmrr_device_in_a_shared_group_gets_a_private_dma_domain_with_its_rmrrs_mapped_in_list_order()
    {
        var path = SharedData.Path_("dmesg-groups", "hp-proliant-dl388p-gen8_5.4.0-1.elrdy.dmesg.txt");
        var real = File.ReadLines(path).Where(l => !l.StartsWith('#')).Select(RealLog.Strip).ToList();
        var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
        var run = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "imported.yaml"), ProfileCatalog.Find(ProfileNames.Linux54)!);
        var simulated = run.Log.Select(RealLog.Strip).ToList();

        var privateDma = real.Select(l => PrivateDma().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.True(privateDma.Count >= 5, "the log shows five devices with private DMA domains");
        foreach (var bdf in privateDma)
        {
            Assert.Contains($"pci {bdf}: DMAR: Device uses a private dma domain.", simulated);
            // The log's whole map lines for the device (the serial console garbled a few) in the run's order.
            var logged = real.Where(l => l.StartsWith($"pci {bdf}: DMAR: Setting identity map [", StringComparison.Ordinal) && l.EndsWith(']')).ToList();
            var printed = simulated.Where(l => l.StartsWith($"pci {bdf}: DMAR: Setting identity map [", StringComparison.Ordinal)).ToList();
            Assert.True(logged.Count >= 5, $"{bdf}: the log prints its maps");
            Assert.Equal(logged, printed.Where(logged.Contains).ToList());
            Assert.True(printed.Count - logged.Count <= 1, $"{bdf}: at most the one garbled map line is missing from the log");
            Assert.True(simulated.IndexOf(printed[^1]) < simulated.IndexOf($"pci {bdf}: DMAR: Device uses a private dma domain."));
        }
    }

    [Fact]
    public void Under_5_4_the_probe_time_domain_switches_of_the_log_come_back_with_usb_and_graphics_spared()
    {
        var path = SharedData.Path_("dmesg-groups", "hp-proliant-dl388p-gen8_5.4.0-1.elrdy.dmesg.txt");
        var real = File.ReadLines(path).Where(l => !l.StartsWith('#')).Select(RealLog.Strip).ToList();
        var yaml = ScenarioImporter.Import(new ImportOptions(path, null, null));
        var simulated = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, "imported.yaml"), ProfileCatalog.Find(ProfileNames.Linux54)!).Log.Select(RealLog.Strip).ToList();

        // A group of one switched to a DMA domain: at probe when an RMRR names the device or it is a PCI bridge
        // ("pci BDF: …"), at its first map when its masks fall short ("ehci-pci BDF: …", the bound driver's name).
        var loggedSwitch = Switched(real);
        var simulatedSwitch = Switched(simulated);
        Assert.True(loggedSwitch.Count >= 8);
        Assert.All(simulatedSwitch, l => Assert.Contains(l, loggedSwitch));
        Assert.True(simulatedSwitch.Count >= loggedSwitch.Count - 1, string.Join("\n", loggedSwitch.Except(simulatedSwitch)));
        // The USB controller and the graphics function of the iLO's group keep identity in a private domain.
        var privateIdentity = real.Where(l => l.EndsWith("DMAR: Device uses a private identity domain.", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, privateIdentity.Count);
        // and no other: the silent functions of a switched group (03:00.1–3) and the iLO that faults inside an RMRR (01:00.2)
        // wanted its DMA domain too, so the import lists them on RMRRs and they stay silent.
        Assert.Equal(privateIdentity, simulated.Where(l => l.EndsWith("DMAR: Device uses a private identity domain.", StringComparison.Ordinal)));
        // uhci_hcd maps at its first DMA and says so; mgag200 keeps its buffers in VRAM and maps nothing (as logged).
        Assert.Contains("uhci_hcd 0000:01:00.4: DMAR: 32bit DMA uses non-identity mapping", simulated);
        Assert.DoesNotContain(simulated, l => l.StartsWith("mgag200 ", StringComparison.Ordinal));
        Assert.Contains("driver mgag200 binds but maps no memory", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_5_4_pass_through_only_the_pci_bridge_switches_and_megaraid_keeps_identity_with_the_masks_it_printed()
    {
        var path = SharedData.Path_("dmesg-rmrr", "dell-poweredge-r750xs_5.4.0-86-generic-iommu-pt.dmesg.txt");
        var (yaml, run) = RealLog.ImportAndRun(path, null);
        Assert.Contains("dma-mask-bits: 63, coherent-dma-mask-bits: 63 }", yaml, StringComparison.Ordinal);
        Assert.Contains("driver i801_smbus binds but maps no memory", yaml, StringComparison.Ordinal);
        static List<string> Decisions(IEnumerable<string> log) => [.. log.Where(l => !l.StartsWith('#')).Select(RealLog.Strip)
            .Where(l => l.EndsWith(": Using iommu dma mapping", StringComparison.Ordinal) || l.EndsWith("32bit DMA uses non-identity mapping", StringComparison.Ordinal)
                || l.Contains("Device uses a private", StringComparison.Ordinal))];
        var want = Decisions(File.ReadLines(path));
        Assert.Equal(["pci 0000:02:00.0: Using iommu dma mapping"], want);
        Assert.Equal(want, Decisions(run.Log));
    }

    private static List<string> Switched(List<string> log) =>
        [.. log.Where(l => l.EndsWith(": Using iommu dma mapping", StringComparison.Ordinal))];

    private static List<string> SetupLines(IEnumerable<string> lines) =>
        [.. lines.Where(l => !l.StartsWith('#')).Select(RealLog.Strip).Where(l => SetupLine().IsMatch(l))];

    [GeneratedRegex(@"^(?:DMAR: |IOMMU: )(?:Setting RMRR:|Setting identity map for device |Prepare 0-16MiB unity mapping for LPC)")]
    private static partial Regex SetupLine();

    [GeneratedRegex(@"^pci (0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): DMAR: Device uses a private dma domain\.$")]
    private static partial Regex PrivateDma();
}
