using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Kernel;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Devices;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>Runs one scenario under one profile and returns an immutable result.</summary>
public static class ScenarioRunner
{
    /// <summary>The profiles a scenario runs under: the override ("all" = every contract profile) or its own.</summary>
    public static IReadOnlyList<KernelProfile> ProfilesFor(Scenario s, string? profileOverride)
    {
        if (profileOverride == "all") return ProfileCatalog.All;
        var name = profileOverride ?? s.Kernel.Profile;
        var p = ProfileCatalog.Find(name)
            ?? throw new InputException(profileOverride is null ? s.Kernel.Span : new SourceSpan("--profile", 0, 0), $"unknown profile '{name}' (known: {string.Join(", ", ProfileCatalog.All.Select(x => x.Name))})");
        return [p];
    }

    public static RunResult Run(Scenario scenario, KernelProfile profile, string? cmdlineOverride = null)
    {
        var cmdline = cmdlineOverride ?? scenario.Kernel.Cmdline;
        var m = SimMachine.Boot(scenario, profile, cmdline);
        var models = new Dictionary<string, DeviceModel>();
        foreach (var d in scenario.Platform.Devices)
        {
            DeviceModel? model = d.Model switch
            {
                DeviceKind.StorageController => new StorageController(m, d),
                DeviceKind.UsbController => new UsbController(m, d),
                _ => null,
            };
            if (model is not null) models[d.Name] = model;
        }
        if (m.Panic is null)
        {
            try
            {
                Probe(m, scenario);
                RunWorkload(m, scenario, models);
            }
            catch (KernelPanicException panic)
            {
                m.RecordPanic(panic);
            }
        }
        return Collect(m, scenario, profile, cmdline);
    }

    private static void RunWorkload(SimMachine m, Scenario scenario, Dictionary<string, DeviceModel> models)
    {
        var script = new ScriptRunner(m);
        foreach (var step in scenario.Workload)
        {
            for (var i = 0; i < step.Repeat; i++)
            {
                switch (step)
                {
                    case RunStep run:
                        if (models.TryGetValue(run.Device, out var model)) model.Run(run);
                        else m.Checker.Add(new Finding("unsupported-job", run.Device, Outcome.Ok, $"{run.Device} is a {Vocabulary.DeviceModels.NameOf(scenario.Device(run.Device).Model)}: it has no built-in job; use op steps"));
                        break;
                    case HotplugMemoryStep hp:
                        m.Kernel.HotAddMemory(hp.Range);
                        break;
                    case OpStep op:
                        script.Run(op, i);
                        break;
                }
                m.Kernel.ServiceInterrupts();
                m.Clock.Advance(1000);
            }
        }
    }

    /// <summary>Driver probe: each driver sets the masks it asks for (pci_set_dma_mask / pci_set_consistent_dma_mask).</summary>
    private static void Probe(SimMachine m, Scenario s)
    {
        // `driver: NAME` on a device: the catalogue's masks (principal case), unless `drivers:` sets them.
        foreach (var d in s.Platform.Devices)
        {
            if (d.Driver is null || !DriverCatalogue.TryGet(d.Driver, out var entry)) continue;
            var dev = m.Kernel.Devices.First(x => x.Name == d.Name);
            var own = s.DriverFor(d.Name);
            if (own?.DmaMaskBits is null) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(entry.StreamingMaskBits));
            if (own?.CoherentDmaMaskBits is null) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(entry.CoherentMaskBits));
        }
        foreach (var drv in s.Drivers)
        {
            var dev = m.Kernel.Devices.First(d => d.Name == drv.Device);
            if (drv.DmaMaskBits is { } b) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(b));
            if (drv.CoherentDmaMaskBits is { } c) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(c));
        }
    }

    private static RunResult Collect(SimMachine m, Scenario s, KernelProfile p, string cmdline)
    {
        // A panic stops every device: the kernel no longer runs any driver.
        if (m.Panic is { } panic)
            foreach (var d in s.Platform.Devices)
                m.Checker.Add(new Finding("kernel-panic", d.Name, Outcome.Panic, $"{panic.LogLine}: the kernel stopped; nothing ran after it"));
        var devices = new List<DeviceResult>();
        foreach (var d in s.Platform.Devices)
        {
            var kd = m.Kernel.Devices.First(x => x.Name == d.Name);
            devices.Add(new DeviceResult(d.Name, d.Bdf.ToString(), DmaMask.Width(kd.DmaMask), DmaMask.Width(kd.CoherentDmaMask),
                ContractNames.Of(kd.Domain), kd.Ops is null ? "none" : ContractNames.Of(kd.Ops.Kind),
                m.Checker.Worst.GetValueOrDefault(d.Name, Outcome.Ok), Vocabulary.DeviceModels.NameOf(d.Model)));
        }
        var log = m.Events.Events.OfType<LogEvent>().Select(e => Stamp(e.TimeNs) + " " + e.Line).ToList();
        var expectations = s.Expect.Where(e => e.AppliesTo(p.Name)).Select(e => Evaluate(e, devices, m)).ToList();
        return new RunResult(s.Name, s.SourceFile, p.Name, p.Summary, cmdline, s.Seed, devices, m.Checker.Findings, log, expectations,
            Explain.For(m, devices), Counters(m), m.Clock.NowNs);
    }

    private static string Stamp(ulong ns) => $"[{ns / 1_000_000_000,5}.{ns / 1000 % 1_000_000:D6}]";

    private static ExpectationResult Evaluate(Expectation e, List<DeviceResult> devices, SimMachine m)
    {
        switch (e)
        {
            case OutcomeExpectation o:
                {
                    var d = devices.First(x => x.Name == o.Device);
                    var want = Vocabulary.Outcomes.NameOf(o.Outcome);
                    var got = OutcomeNames.Of(d.Outcome);
                    return new(e.Text, want == got, got);
                }
            case DomainExpectation dom:
                {
                    var d = devices.First(x => x.Name == dom.Device);
                    return new(e.Text, Vocabulary.Domains.NameOf(dom.Domain) == d.Domain, d.Domain);
                }
            case DmaOpsExpectation ops:
                {
                    var d = devices.First(x => x.Name == ops.Device);
                    return new(e.Text, Vocabulary.DmaOps.NameOf(ops.DmaOps) == d.DmaOps, d.DmaOps);
                }
            case LogContainsExpectation l:
                {
                    var held = m.Events.LogLines().Any(x => x.Contains(l.Contains, StringComparison.Ordinal));
                    return new(e.Text, held, held ? null : "no such line");
                }
            default:
                return new(e.Text, false, "unknown expectation");
        }
    }

    private static List<Counter> Counters(SimMachine m)
    {
        var ev = m.Events.Events;
        var list = new List<Counter>
        {
            new("dma-transactions", m.Checker.Transactions),
            new("dma-api-calls", ev.OfType<DmaApiEvent>().LongCount()),
        };
        foreach (var z in Enum.GetValues<ZoneType>())
            list.Add(new($"page-allocs-{z.ToString().ToLowerInvariant()}", ev.OfType<PageAllocEvent>().LongCount(a => a.Zone == z)));
        list.Add(new("swiotlb-bounces", ev.OfType<SwiotlbMapEvent>().LongCount()));
        foreach (var r in m.Remappers)
        {
            list.Add(new($"{r.Name}-iotlb-hits", r.Unit.IotlbHits));
            list.Add(new($"{r.Name}-page-walks", r.Unit.PageWalks));
        }
        list.Add(new("touched-pages", m.Memory.TouchedPages));
        return list;
    }
}

/// <summary>Runs many (scenario, profile) cells; each machine is independent, so cells run in parallel and come back in order.</summary>
public static class SuiteRunner
{
    public static IReadOnlyList<RunResult> Run(IReadOnlyList<(Scenario Scenario, KernelProfile Profile)> cells, string? cmdlineOverride = null)
    {
        var results = new RunResult[cells.Count];
        Parallel.For(0, cells.Count, i => results[i] = ScenarioRunner.Run(cells[i].Scenario, cells[i].Profile, cmdlineOverride));
        return results;
    }
}
