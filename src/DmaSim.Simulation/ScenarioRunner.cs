using System.Runtime.ExceptionServices;
using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Kernel;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Simulation.Devices;
using DmaSim.Simulation.Machine;
using DmaSim.Simulation.Pictures;

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
            ?? throw new InputException(profileOverride is null ? s.Kernel.Span : SourceSpan.Option("--profile"), $"unknown profile '{name}' (known: {string.Join(", ", ProfileCatalog.All.Select(x => x.Name))})");
        return [p];
    }

    public static RunResult Run(Scenario scenario, KernelProfile profile, string? cmdlineOverride = null)
    {
        var cmdline = cmdlineOverride ?? scenario.Kernel.Cmdline;
        var tally = new RunTally();
        var m = SimMachine.Boot(scenario, profile, cmdline, tally.Attach);
        var pictures = new PictureRecorder();
        pictures.Attach(m.Events);
        var defaultWorkload = scenario.Workload.IsEmpty;
        var models = new Dictionary<string, DeviceModel>();
        foreach (var d in scenario.Platform.Devices)
        {
            DeviceModel? model = d.Model switch
            {
                DeviceKind.StorageController => new StorageController(m, d),
                DeviceKind.UsbController => new UsbController(m, d),
                // Bridges, ports and host bridges forward DMA but never originate it.
                DeviceKind.Scripted when defaultWorkload => new RingDevice(m, d),
                _ => null,
            };
            if (model is not null) models[d.Name] = model;
        }
        if (m.Panic is null)
        {
            CoherentMaskCheck.Attach(m);
            try
            {
                Probe(m, scenario);
                if (defaultWorkload) RunDefaultWorkload(m, scenario, models);
                else RunWorkload(m, scenario, models);
                m.DmaDebug.ReportLeaksAtEnd();
            }
            catch (KernelPanicException panic)
            {
                m.RecordPanic(panic);
            }
        }
        var result = Collect(m, tally, scenario, profile, cmdline) with { Picture = RunPicture.Of(m.E820.Entries, m.Owners, pictures.Wrong), DefaultWorkload = defaultWorkload };
        // Everything the result holds is collected: the machine's host pages and IOTLB tables go to the next run on this thread.
        m.ReleaseHostMemory();
        return result;
    }

    /// <summary>
    /// A machine with no `workload:` (e.g. from `dmasim import`) runs each DMA-capable device's driver
    /// pattern in bus order, one device after the other, as drivers probe: the built-in models their `io`
    /// job, every other endpoint the descriptor-ring pattern (<see cref="RingDevice"/>).
    /// </summary>
    /// <summary>Firmware accesses per firmware-DMA device in the default workload: a read and a write into each of a few regions.</summary>
    private const ulong DefaultFirmwareAccesses = 8;

    private static void RunDefaultWorkload(SimMachine m, Scenario scenario, Dictionary<string, DeviceModel> models)
    {
        // Platform firmware (SMM, a management controller) DMAs into its RMRRs from boot on, driver or not.
        foreach (var d in scenario.Platform.Devices.Where(d => d.FirmwareDma == FirmwareDmaKind.Rmrr))
        {
            if (!models.TryGetValue(d.Name, out var model)) continue;
            model.RunFirmwareDma(DefaultFirmwareAccesses);
            m.Kernel.ServiceInterrupts();
        }
        foreach (var d in scenario.Platform.Devices)
        {
            // Only a bound driver maps buffers: a function no driver claims issues no DMA.
            if (d.NoDriver || !models.TryGetValue(d.Name, out var model)) continue;
            model.RunDefault();
            m.Kernel.ServiceInterrupts();
            m.Clock.Advance(1000);
            m.Kernel.RunExpiredTimers();
        }
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
                        else m.Checker.Add(new Finding(FindingKind.UnsupportedJob, run.Device, Outcome.Ok, $"{run.Device} is a {ContractWords.DeviceModels.NameOf(scenario.Device(run.Device).Model)}: it has no built-in job; use op steps"));
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
                m.Kernel.RunExpiredTimers();
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
            dev.DriverString = d.DriverString;
            var own = s.DriverFor(d.Name);
            var (streaming, coherent) = CatalogueMasks(m, dev, entry, d.PciId);
            if (own?.DmaMaskBits is null) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(streaming));
            if (own?.CoherentDmaMaskBits is null) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(coherent));
        }
        foreach (var drv in s.Drivers)
        {
            var dev = m.Kernel.Devices.First(d => d.Name == drv.Device);
            if (drv.DmaMaskBits is { } b) m.Kernel.Dma.SetMask(dev, DmaMask.Bits(b));
            if (drv.CoherentDmaMaskBits is { } c) m.Kernel.Dma.SetCoherentMask(dev, DmaMask.Bits(c));
        }
    }

    /// <summary>
    /// The masks the driver asks for on this machine: its principal masks, or for drivers that look at
    /// dma_get_required_mask() first (mptsas, mpt3sas, qla2xxx) 32/32 when 32 bits are enough — which
    /// modern translated devices are always told; for drivers with a chip table (i915) the chip's masks.
    /// </summary>
    private static (int Streaming, int Coherent) CatalogueMasks(SimMachine m, Kernel.Dma.KernelDevice dev, DriverEntry entry, (ushort, ushort)? pciId)
    {
        var (streaming, coherent, _) = ChipMasks(m, entry, pciId);
        return entry.Rule != DriverMaskRule.RequiredMask || m.Kernel.K.RequiredMask(dev) > DmaMask.Bits(32)
            ? (streaming, coherent)
            : (32, 32);
    }

    /// <summary>The row's masks for this PCI id; for i915 the profile says whether intel-agp or i915 sets them.</summary>
    internal static (int Streaming, int Coherent, string? Chip) ChipMasks(SimMachine m, DriverEntry entry, (ushort, ushort)? pciId) =>
        entry.MasksFor(pciId, m.Kernel.K.Profile.IgdDmaMasks.Value == IgdDmaMasks.IntelAgp);

    private static RunResult Collect(SimMachine m, RunTally tally, Scenario s, KernelProfile p, string cmdline)
    {
        // A panic stops every device: the kernel no longer runs any driver.
        if (m.Panic is { } panic)
            foreach (var d in s.Platform.Devices)
                m.Checker.Add(new Finding(FindingKind.KernelPanic, d.Name, Outcome.Panic, $"{panic.LogLine}: the kernel stopped; nothing ran after it"));
        var devices = new List<DeviceResult>();
        foreach (var d in s.Platform.Devices)
        {
            var kd = m.Kernel.Devices.First(x => x.Name == d.Name);
            devices.Add(new DeviceResult(d.Name, d.Bdf.ToString(), DmaMask.Width(kd.DmaMask), DmaMask.Width(kd.CoherentDmaMask),
                kd.Domain, kd.Ops?.Kind, m.Checker.Worst.GetValueOrDefault(d.Name, Outcome.Ok), d.Model, FlushOf(m, kd))
            {
                Group = kd.Group,
                Driver = d.Driver is { } drv && DriverCatalogue.TryGet(drv, out var entry) ? entry.Name : null,
                Vfio = Kernel.Iommu.VfioEligibility.For(m.Kernel.K, m.Kernel.Iommu, kd, m.Kernel.Devices),
            });
        }
        var log = m.Events.Events.OfType<LogEvent>().Select(e => SimClock.Stamped(e.TimeNs, e.Line)).ToList();
        var expectations = s.Expect.Where(e => e.AppliesTo(p.Name)).Select(e => Evaluate(e, devices, m)).ToList();
        return new RunResult(s.Name, s.SourceFile, p.Name, p.Summary, cmdline, s.Seed, devices, m.Checker.Findings, log, expectations,
            Explain.For(m, tally, devices), Counters(m, tally), m.Clock.NowNs);
    }

    /// <summary>A translated device's unmaps flush the IOTLB at once (strict) or in batches (lazy: deferred list / flush queue).</summary>
    private static string? FlushOf(SimMachine m, KernelDevice kd)
    {
        if (kd.Domain != DeviceDomain.Translated) return null;
        if (m.Kernel.Iommu is not { } iommu) return m.Kernel.K.Cmdline.Strict ? "strict" : "lazy";
        var domain = iommu.DomainOf(kd);
        var strict = domain is null ? iommu.Strict || m.Kernel.K.Cmdline.Strict : iommu.UnmapIsStrict(kd, domain);
        return strict ? "strict" : "lazy";
    }

    private static ExpectationResult Evaluate(Expectation e, List<DeviceResult> devices, SimMachine m)
    {
        switch (e)
        {
            case OutcomeExpectation o:
                {
                    var d = devices.First(x => x.Name == o.Device);
                    return new(e.Text, o.Outcome == d.Outcome, d.OutcomeName);
                }
            case DomainExpectation dom:
                {
                    var d = devices.First(x => x.Name == dom.Device);
                    return new(e.Text, dom.Domain == d.Domain, d.DomainName);
                }
            case DmaOpsExpectation ops:
                {
                    var d = devices.First(x => x.Name == ops.Device);
                    return new(e.Text, ops.DmaOps == d.DmaOps, d.DmaOpsName);
                }
            case FindingExpectation f:
                {
                    var held = m.Checker.Saw(f.Device, f.Kind);
                    return new(e.Text, held, held ? null : "no such finding");
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

    private static readonly string[] _zoneCounterNames = [.. RunTally.Zones.Select(z => $"page-allocs-{z.ToString().ToLowerInvariant()}")];

    private static List<Counter> Counters(SimMachine m, RunTally tally)
    {
        var list = new List<Counter> { new("dma-transactions", m.Checker.Transactions), new("dma-api-calls", m.Kernel.Dma.Calls) };
        for (var z = 0; z < _zoneCounterNames.Length; z++) list.Add(new(_zoneCounterNames[z], tally.AllocsPerZone[z]));
        list.Add(new("swiotlb-bounces", tally.Bounces));
        foreach (var r in m.Remappers)
        {
            list.Add(new($"{r.Name}-iotlb-hits", r.Unit.IotlbHits));
            list.Add(new($"{r.Name}-page-walks", r.Unit.PageWalks));
        }
        list.Add(new("touched-pages", m.Memory.TouchedPages));
        // DMA per device (what shows that a workload exercised each endpoint): transactions the silicon issued.
        foreach (var d in m.Scenario.Platform.Devices.Where(d => !d.IsBridge && d.Model != DeviceKind.HostBridge))
            list.Add(new($"{d.Name}-dma-transactions", tally.TransactionsPerDevice.GetValueOrDefault(d.Name)));
        return list;
    }
}

/// <summary>Runs many (scenario, profile) cells; each machine is independent, so cells run in parallel and come back in order.</summary>
public static class SuiteRunner
{
    public static IReadOnlyList<RunResult> Run(IReadOnlyList<(Scenario Scenario, KernelProfile Profile)> cells, string? cmdlineOverride = null) =>
        Run([.. cells.Select(c => (c.Scenario, c.Profile, cmdlineOverride))]);

    /// <summary>
    /// Cells with their own command line each (`--cmdline` given several times: one run per (profile,
    /// command line)). A cell that throws makes the whole run throw that cell's own exception (the first
    /// failing cell in order, so the message does not depend on thread timing), with its original stack —
    /// never Parallel.For's AggregateException, which would hide an input error's place or a bug's cause.
    /// </summary>
    public static IReadOnlyList<RunResult> Run(IReadOnlyList<(Scenario Scenario, KernelProfile Profile, string? Cmdline)> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var results = new RunResult[cells.Count];
        var failures = new ExceptionDispatchInfo?[cells.Count];
        Parallel.For(0, cells.Count, i =>
        {
            try
            {
                results[i] = ScenarioRunner.Run(cells[i].Scenario, cells[i].Profile, cells[i].Cmdline);
            }
#pragma warning disable CA1031 // Captured and rethrown below with its own stack.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures[i] = ExceptionDispatchInfo.Capture(e);
            }
        });
        Array.Find(failures, f => f is not null)?.Throw();
        return results;
    }
}
