using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Devices;
using DmaSim.Simulation.Machine;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests;

/// <summary>Scenario texts and a runner that keeps the machine, for event-level assertions.</summary>
internal static class SimRig
{
    public static string SeedPath => RepoFiles.Seed("smartarray-passthrough");

    public static Scenario Seed => ScenarioLoader.Load(SeedPath);

    public static Scenario Parse(string yaml) => ScenarioLoader.Parse(yaml, "test.yaml");

    /// <summary>A scenario built from typed parts (<see cref="ScenarioBuilder"/>), loaded by the real loader.</summary>
    public static Scenario Parse(ScenarioBuilder b) => b.Build("test.yaml");

    /// <summary>The seed's platform with variable numbers: RAM above 4 GiB up to <paramref name="highEnd"/> (inclusive; null = none).</summary>
    public static ScenarioBuilder Storage(
        ulong? highEnd = 0x23fffffff,
        ulong lowEnd = ScenarioBuilder.LowEnd,
        string bdf = "03:00.0",
        int descriptorBits = 32,
        string driver = "{ device: smartarray, dma-mask-bits: 64 }",
        string workload = "{ device: smartarray, run: io, count: 64, size: 64KiB }",
        string cmdline = "intel_iommu=on iommu=pt",
        string profile = "linux-2.6.32-rc5") =>
        new ScenarioBuilder("variant", seed: 7)
            .PcMemory(highEnd, lowEnd)
            .Unit(passThrough: true)
            .Device(bdf, "smartarray", "storage-controller", addressBits: 64, descriptorAddressBits: descriptorBits)
            .Kernel(profile, cmdline)
            .DriverRaw(driver)
            .Workload(workload);

    public static KernelProfile P(string name) => ProfileCatalog.Find(name)!;

    /// <summary>
    /// ScenarioRunner.Run's sequence, keeping the machine (its event stream) for the test; <paramref name="beforeLast"/>
    /// runs just before the workload's last step (what no step can say, such as another device's raw DMA).
    /// </summary>
    public static SimMachine RunKeeping(Scenario s, KernelProfile p, string? cmdline = null, Action<SimMachine>? beforeLast = null)
    {
        var m = SimMachine.Boot(s, p, cmdline ?? s.Kernel.Cmdline);
        foreach (var drv in s.Drivers)
        {
            var dev = m.Kernel.Devices.First(d => d.Name == drv.Device);
            if (drv.DmaMaskBits is { } b) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(b));
            if (drv.CoherentDmaMaskBits is { } c) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(c));
        }
        var models = new Dictionary<string, DeviceModel>();
        foreach (var d in s.Platform.Devices)
            if (d.Model == DeviceKind.StorageController) models[d.Name] = new StorageController(m, d);
        var script = new ScriptRunner(m);
        foreach (var (index, step) in s.Workload.Index())
            for (var i = 0; i < step.Repeat; i++)
            {
                if (index == s.Workload.Length - 1 && i == 0) beforeLast?.Invoke(m);
                switch (step)
                {
                    case RunStep run: models[run.Device].Run(run); break;
                    case OpStep op: script.Run(op, i); break;
                    case HotplugMemoryStep hp: m.Kernel.HotAddMemory(hp.Range); break;
                }
                m.Clock.Advance(1000);
                // As ScenarioRunner: the flush queue's timer runs between steps.
                m.Kernel.RunExpiredTimers();
            }
        return m;
    }

    /// <summary>The first coherent allocation of a device, as the DMA API recorded it.</summary>
    public static DmaApiEvent FirstCoherent(SimMachine m, string device = "smartarray") =>
        m.Events.Events.OfType<DmaApiEvent>().First(e => e.Device == device && e.Call == "dma_alloc_coherent" && e.Ok);

    public static ZoneType ZoneOf(SimMachine m, DmaApiEvent e) => m.Kernel.K.Pages.ZoneOf(e.Cpu!.Value)!.Value;
}
