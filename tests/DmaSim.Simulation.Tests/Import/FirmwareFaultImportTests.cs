using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Import;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Import;

/// <summary>
/// A log's DMAR faults inside an RMRR name who uses it: the faulting function's firmware DMAs there. The import lists it
/// on the RMRR and gives it `firmware-dma: rmrr`; the default workload runs that firmware first. The HP DL388p Gen8's
/// 5.4.0 log (iommu list, Dec 2019) is the case: its iLO (01:00.2) and Smart Array (02:00.0) fault on their RMRRs
/// because 5.4.0 lost their direct mappings (DirectMappingLossTests).
/// </summary>
public sealed class FirmwareFaultImportTests
{
    private static string Temp(string text) => RealLog.TempLog(text);

    private static string Log(string fault) =>
        "[    0.000000] Linux version 5.4.0-1.elrdy.x86_64 (x@y) (gcc version 8.2.1) #1 SMP\n" +
        "[    0.000000] Command line: BOOT_IMAGE=/vmlinuz ro intel_iommu=on\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bdf5ffff] usable\n" +
        "[    0.000000] BIOS-e820: [mem 0x00000000bdf60000-0x00000000bdffffff] reserved\n" +
        "[    1.000000] DMAR: Host address width 46\n" +
        "[    1.000001] DMAR: DRHD base: 0x000000fbffe000 flags: 0x1\n" +
        "[    1.000002] DMAR: dmar0: reg_base_addr fbffe000 ver 1:0 cap d2078c106f0466 ecap f020de\n" +
        "[    1.000003] DMAR: RMRR base: 0x000000bdf83000 end: 0x000000bdf84fff\n" +
        "[    2.000000] pci 0000:02:00.0: [103c:323b] type 00 class 0x010400\n" +
        "[    2.000001] pci 0000:03:00.0: [14e4:1657] type 00 class 0x020000\n" +
        "[    3.000000] DMAR: DRHD: handling fault status reg 2\n" +
        fault;

    [Theory]
    [InlineData("[    3.000001] DMAR: [DMA Read] Request device [02:00.0] PASID ffffffff fault addr bdf83000 [fault reason 06] PTE Read access is not set\n")]
    [InlineData("[    3.000001] DMAR: [DMA Read] Request device [02:00.0] fault addr bdf83000 [fault reason 06] PTE Read access is not set\n")]
    [InlineData("[    3.000001] DMAR:[DMA Read] Request device [02:00.0] fault addr bdf83000 \n[    3.000002] DMAR:[fault reason 06] PTE Read access is not set\n")]
    [InlineData("[    3.000001] DMAR: [DMA Read NO_PASID] Request device [0x02:0x00.0] fault addr 0xbdf83000 [fault reason 0x06] PTE Read access is not set\n")]
    public void A_fault_inside_an_rmrr_makes_the_device_a_firmware_user_of_it(string fault)
    {
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(Log(fault)), null, null));
        Assert.Contains("name: pci-02-00-0, model: scripted", yaml, StringComparison.Ordinal);
        Assert.Contains("class: 0x010400, firmware-dma: rmrr }", yaml, StringComparison.Ordinal);
        Assert.Contains("{ start: 0xbdf83000, end: 0xbdf84fff, devices: [\"pci-02-00-0\"] }", yaml, StringComparison.Ordinal);
        Assert.Contains("02:00.0 from the log's DMAR faults inside it", yaml, StringComparison.Ordinal);
        // The other function faulted nowhere: no firmware DMA.
        Assert.DoesNotContain("class: 0x020000, firmware-dma", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_outside_every_rmrr_names_nobody()
    {
        var yaml = ScenarioImporter.Import(new ImportOptions(Temp(Log(
            "[    3.000001] DMAR: [DMA Read] Request device [02:00.0] PASID ffffffff fault addr 7f000000 [fault reason 06] PTE Read access is not set\n")), null, null));
        Assert.DoesNotContain("firmware-dma", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dl388p_iLO_and_smart_array_fault_on_5_4_0_and_not_once_the_fixes_land()
    {
        var path = SharedData.Path_("dmesg-groups", "hp-proliant-dl388p-gen8_5.4.0-1.elrdy.dmesg.txt");
        var (yaml, run) = RealLog.ImportAndRun(path, null);
        Assert.Equal(Outcome.FirmwareFault, run.Devices.Single(d => d.Bdf == "01:00.2").Outcome);
        Assert.Equal(Outcome.FirmwareFault, run.Devices.Single(d => d.Bdf == "02:00.0").Outcome);
        Assert.Contains(run.Log, l => l.EndsWith("DMAR: [DMA Read] Request device [02:00.0] PASID ffffffff fault addr bdffd000 [fault reason 06] PTE Read access is not set", StringComparison.Ordinal));
        var scenario = ScenarioLoader.Parse(yaml, "dl388p.yaml");
        // The same machine on 5.10 (the fixes are in 5.5-rc2): every RMRR mapped, the firmware's reads land.
        var fixedRun = ScenarioRunner.Run(scenario, ProfileCatalog.Find("linux-5.10")!);
        Assert.All(fixedRun.Devices.Where(d => d.Bdf is "01:00.2" or "02:00.0"), d => Assert.NotEqual(Outcome.FirmwareFault, d.Outcome));
    }
}
