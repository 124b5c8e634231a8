using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Machine;

/// <summary>
/// One simulated machine built from a scenario: the hardware (memory, owners, PCI, VT-d units wired
/// into the DMA fabric), the firmware's DMAR bytes, a booted kernel of one profile, and the checker.
/// </summary>
public sealed class SimMachine
{
    private SimMachine(Scenario scenario, KernelProfile profile, string cmdline)
    {
        Scenario = scenario;
        Profile = profile;
        Cmdline = cmdline;
        Clock = new SimClock();
        Events = new EventStream(Clock);
        Random = new SimRandom(scenario.Seed);
        var p = scenario.Platform;
        Memory = new PhysicalMemory(p.PhysicalAddressBits);
        E820 = new E820Map(p.Memory.Select(m => new E820Entry(m.Range, (E820Type)(int)m.Type)));
        Owners = new FrameOwners();
        foreach (var e in E820.Entries)
            Owners.Assign(e.Range, e.Type == E820Type.Usable ? FrameOwner.Free : new FrameOwner(OwnerKind.Firmware, null, e.KernelName));
        Pci = new PciTopology { RootBusOrder = p.RootBuses };
        foreach (var d in p.Devices) Pci.Add(ToPci(d));
        Fabric = new DmaFabric(Memory, Owners, Pci, Events);
        foreach (var d in p.Devices.Where(d => !d.IsBridge))
            Fabric.AddPort(new DmaPort(d.Name, ToBdf(d.Bdf), d.AddressBits, d.DescriptorAddressBits));
        Checker = new PhysicalTruthChecker();
        Checker.Attach(Events);
        DmaDebug = new DmaApiDebug(profile.DmaDebug.Value, DriverAndBdf, Checker.Add, Events.Log)
        {
            Enabled = !KernelCmdline.Parse(cmdline).DmaDebugOff,
        };
        DmaDebug.Attach(Events);
    }

    public Scenario Scenario { get; }
    public KernelProfile Profile { get; }
    public string Cmdline { get; }
    public SimClock Clock { get; }
    public EventStream Events { get; }
    public SimRandom Random { get; }
    public PhysicalMemory Memory { get; }
    public E820Map E820 { get; }
    public FrameOwners Owners { get; }
    public PciTopology Pci { get; }
    public DmaFabric Fabric { get; }
    public PhysicalTruthChecker Checker { get; }

    /// <summary>CONFIG_DMA_API_DEBUG's bookkeeping of the drivers' DMA-API use.</summary>
    public DmaApiDebug DmaDebug { get; }
    public DmarTable? DmarTable { get; private set; }
    public IReadOnlyList<VtdRemapper> Remappers { get; private set; } = [];
    public LinuxKernel Kernel { get; private set; } = null!;

    /// <summary>The panic that stopped the simulated kernel, if one did; nothing runs after it.</summary>
    public KernelPanicException? Panic { get; private set; }

    /// <summary>Records a kernel panic: prints the kernel's panic line (unless the panicking code did) and stops the kernel.</summary>
    public void RecordPanic(KernelPanicException panic)
    {
        ArgumentNullException.ThrowIfNull(panic);
        if (Panic is not null) return;
        Panic = panic;
        if (!panic.Logged) Events.Log(panic.LogLine);
    }

    /// <summary>
    /// The run is over and its result collected: the simulated pages' host arrays and the IOTLB tables go to this
    /// thread's pools for the next machine (a sweep worker boots one after another). Memory must not be used after.
    /// </summary>
    public void ReleaseHostMemory()
    {
        Memory.ReleasePages();
        foreach (var r in Remappers) r.Unit.ReleaseHostMemory();
    }

    /// <summary>Builds the machine and boots the kernel.</summary>
    public static SimMachine Boot(Scenario scenario, KernelProfile profile, string cmdline) => Boot(scenario, profile, cmdline, null);

    /// <summary>Builds the machine and boots the kernel; <paramref name="observe"/> sets up the event stream before the first event.</summary>
    public static SimMachine Boot(Scenario scenario, KernelProfile profile, string cmdline, Action<EventStream>? observe)
    {
        var m = new SimMachine(scenario, profile, cmdline);
        observe?.Invoke(m.Events);
        m.BuildIommu();
        m.CheckRamWithinHostAddressWidth();
        m.BootKernel();
        return m;
    }

    /// <summary>
    /// The DMAR host address width is the platform's DMA addressability (VT-d spec 8.1): a unit masks
    /// every table and queue address to it (QEMU VTD_HAW_MASK), so RAM above it — where the kernel may
    /// put its root table or invalidation queue — describes no machine that could boot. Refused with the
    /// place of the RAM, rather than simulated into an invalidation queue error.
    /// </summary>
    private void CheckRamWithinHostAddressWidth()
    {
        if (DmarTable is null || DmarTable.HostAddressWidth >= 64) return;
        var limit = (1UL << DmarTable.HostAddressWidth) - 1;
        var haw = DmarTable.HostAddressWidth;
        foreach (var r in Scenario.Platform.Memory.Where(r => r.Type == MemoryType.Usable && r.Range.End.Value > limit))
            throw new InputException(r.Span, $"usable RAM [{Hex.Format(r.Range.Start.Value)}-{Hex.Format(r.Range.End.Value)}] reaches beyond the DMAR host address width ({haw} bits, last address {Hex.Format(limit)}): the remapping hardware could not reach its own tables there; raise host-address-width or lower the RAM");
        foreach (var h in Scenario.Workload.OfType<HotplugMemoryStep>().Where(h => h.Range.End.Value > limit))
            throw new InputException(h.Span, $"hot-plugged RAM [{Hex.Format(h.Range.Start.Value)}-{Hex.Format(h.Range.End.Value)}] reaches beyond the DMAR host address width ({haw} bits, last address {Hex.Format(limit)})");
    }

    private HashSet<ulong> _unitsOfUnknownScope = [];

    private void BuildIommu()
    {
        var p = Scenario.Platform;
        var remappers = new List<VtdRemapper>();
        switch (p.Iommu)
        {
            case InlineIommu inline:
                // drhd-at-address-zero: the firmware writes 0 into the first DRHD's register base field.
                var zeroBase = p.FirmwareFaults.Contains(FirmwareFault.DrhdAtAddressZero);
                DmarTable = DmarBuilder.Build(new DmarMachineSpec(inline.HostAddressWidth,
                    [.. inline.Units.Select((u, i) => new DmarUnitSpec(zeroBase && i == 0 ? 0 : u.Base.Value, u.IncludePciAll, [.. u.Devices.Select(Scope), .. InterruptScopes(u)]))],
                    [.. inline.Rmrr.Select(r => new DmarRmrrSpec(r.Range, [.. r.Devices.Select(Scope)]))])
                {
                    // DMAR flags: INTR_REMAP, X2APIC_OPT_OUT (bit 1) when the firmware wants xAPIC mode kept, and
                    // DMA_CTRL_PLATFORM_OPT_IN_FLAG (bit 2) when it asks for DMA protection.
                    Flags = (byte)(DmarTable.IntrRemapFlag | (inline.X2ApicOptOut ? DmarTable.X2ApicOptOutFlag : 0) | (inline.PlatformOptIn ? 0x04 : 0)),
                    Extra = [.. inline.Extras.Select(ExtraStructure)],
                });
                // An imported unit may leave its scope empty (the log printed none): the kernel must not ignore it for that.
                _unitsOfUnknownScope = [.. inline.Units.Select((u, i) => (u, i)).Where(x => !x.u.IncludePciAll && !x.u.Devices.Any() && !x.u.NoPresentDevices)
                    .Select(x => zeroBase && x.i == 0 ? 0 : x.u.Base.Value)];
                foreach (var (u, i) in inline.Units.Select((u, i) => (u, i)))
                    remappers.Add(new VtdRemapper("dmar" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), new VtdUnit(Memory, UnitConfig(u, inline.HostAddressWidth), Events)));
                foreach (var r in inline.Rmrr)
                    Owners.Assign(r.Range, new FrameOwner(OwnerKind.Rmrr, string.Join(",", r.Devices.Select(b => DeviceName(b)))));
                break;
            case DmarTableIommu file:
                DmarTable = DmarCodec.Load(file.ResolvedPath);
                var i2 = 0;
                foreach (var given in file.Registers)
                {
                    if (!DmarTable.Drhds.Any(d => d.RegisterBase == given.Base!.Value.Value))
                        throw new InputException(given.Span, $"no DRHD in {file.Path} has register base {given.Base}");
                }
                foreach (var d in DmarTable.Drhds)
                {
                    var given = file.Registers.FirstOrDefault(r => r.Base!.Value.Value == d.RegisterBase);
                    var config = given is null
                        ? VtdUnitConfig.Qemu48() with { RegisterBase = d.RegisterBase, HostAddressWidth = DmarTable.HostAddressWidth }
                        : FromRegisters(given, d.RegisterBase, DmarTable.HostAddressWidth);
                    remappers.Add(new VtdRemapper("dmar" + (i2++).ToString(System.Globalization.CultureInfo.InvariantCulture), new VtdUnit(Memory, config, Events)));
                }
                foreach (var r in DmarTable.Rmrrs)
                    if (r.EndLimit >= r.Base) Owners.Assign(new PhysRange(r.Base, r.EndLimit), new FrameOwner(OwnerKind.Rmrr));
                break;
        }
        Remappers = remappers;
        if (DmarTable is null) return;
        // The chipset's wiring: the unit a DRHD describes sits above the devices of its scope; the
        // INCLUDE_PCI_ALL unit above everything else. The firmware's table is taken as truthful, and read
        // by the platform's own resolution, not the kernel's.
        var byBase = remappers.ToDictionary(r => r.Unit.Config.RegisterBase);
        Fabric.WireRemapping(ChipsetWiring.Route<IDmaRemapper>(DmarTable, Pci, b => byBase.GetValueOrDefault(b)));
    }

    /// <summary>
    /// A unit's IOAPIC, then HPET, scope entries. The log gives their enumeration ids only, so each takes a placeholder path
    /// (bus 0xf0, device 0x1f.0 for an IOAPIC, 0x0f.0 for an HPET); nothing resolves those paths to PCI functions.
    /// </summary>
    private static IEnumerable<DeviceScope> InterruptScopes(IommuUnit u) =>
        u.IoApicIds.Select(id => new DeviceScope(DeviceScopeType.IoApic, (byte)id, 0xf0, [new PciPathEntry(0x1f, 0)]))
            .Concat(u.HpetIds.Select(id => new DeviceScope(DeviceScopeType.Hpet, (byte)id, 0xf0, [new PciPathEntry(0x0f, 0)])));

    /// <summary>The DMAR structure an inline `atsr`/`rhsa`/`andd`/`satc` entry stands for (no device scopes: the log shows none).</summary>
    private static DmarStructure ExtraStructure(InlineDmarExtra e) => e switch
    {
        InlineAtsr a => new Atsr(0, 0, a.AllPorts ? Atsr.AllPortsFlag : (byte)0, 0, 0, []),
        InlineRhsa h => new Rhsa(0, 0, 0, h.Base.Value, h.ProximityDomain),
        // The name as the kernel reads it: ASCII up to the first NUL.
        InlineAndd n => new Andd(0, 0, default, n.Device, [.. System.Text.Encoding.ASCII.GetBytes(n.Name), 0]),
        InlineSatc c => new Satc(0, 0, c.AtcRequired ? Satc.AtcRequiredFlag : (byte)0, 0, 0, []),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e, "unknown inline DMAR structure"),
    };

    private void BootKernel()
    {
        var cmd = KernelCmdline.Parse(Cmdline);
        var ctx = new KernelContext(Profile, cmd, Memory, Owners, E820, Pci, Events)
        {
            KernelVersion = Scenario.Kernel.Version,
            DmaApiDebug = DmaDebug,
            IntelIommuDefaultOn = Scenario.Kernel.IntelIommuDefaultOn ?? true,
            SwiotlbDynamic = Scenario.Kernel.SwiotlbDynamic ?? false,
            DefaultDma = Scenario.Kernel.IommuDefaultDma switch
            {
                DefaultDmaChoice.Strict => BuildDefaultDma.Strict,
                DefaultDmaChoice.Passthrough => BuildDefaultDma.Passthrough,
                _ => BuildDefaultDma.Lazy,
            },
        };
        var faults = Scenario.Platform.FirmwareFaults.Select(f => Vocabulary.FirmwareFaults.NameOf(f)).ToHashSet();
        var units = Remappers.ToDictionary(r => r.Unit.Config.RegisterBase, r => r.Unit);
        // drhd-registers-all-ones: nothing decodes the first unit's MMIO window, so reads return all ones.
        if (Scenario.Platform.FirmwareFaults.Contains(FirmwareFault.DrhdRegistersAllOnes) && Remappers.Count > 0)
            units.Remove(Remappers[0].Unit.Config.RegisterBase);
        // The parse reads each unit's VER/CAP/ECAP through MMIO, as alloc_iommu does.
        var dmarInfo = DmarTable is null ? null : DmarInfoReader.Read(DmarTable, Pci, b => units.GetValueOrDefault(b));
        // kernel/dma/debug.c dma_debug_cmdline: "dma_debug=off" at parse time, before the subsystems boot.
        if (cmd.DmaDebugOff) Events.Log("DMA-API: debugging disabled on kernel command line");
        Kernel = new LinuxKernel(ctx, new KernelPlatform(dmarInfo, b => units.GetValueOrDefault(b), faults) { UnitsOfUnknownScope = _unitsOfUnknownScope, CpuX2Apic = Scenario.Platform.X2Apic });
        try
        {
            Kernel.Boot(Scenario.Platform.Devices.Select(d => (d.Name, Pci.Find(ToBdf(d.Bdf))!)));
        }
        catch (KernelPanicException panic)
        {
            RecordPanic(panic);
        }
    }

    /// <summary>A unit reporting a real machine's registers (scenario `cap:`/`ecap:`/`ver:`, e.g. from `dmasim import`).</summary>
    private static VtdUnitConfig FromRegisters(UnitRegisters r, ulong registerBase, int haw)
    {
        try
        {
            return VtdUnitConfig.FromRegisters(r.Cap, r.Ecap, registerBase, haw, r.Version);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InputException(r.Span, $"unit registers cap {r.Cap:x} ecap {r.Ecap:x} cannot be modelled: {e.Message.Split('(')[0].Trim()}");
        }
    }

    private static VtdUnitConfig UnitConfig(IommuUnit u, int haw)
    {
        if (u.Registers is { } regs) return FromRegisters(regs, u.Base.Value, haw);
        var sagaw = 0;
        foreach (var w in u.Sagaw) sagaw |= VtdCap.SagawBitForWidth(w);
        return VtdUnitConfig.Qemu48() with
        {
            RegisterBase = u.Base.Value,
            HostAddressWidth = haw,
            MaxGuestAddressWidth = u.Sagaw.IsEmpty ? 48 : u.Sagaw.Max(),
            Sagaw = sagaw == 0 ? VtdCap.SagawBitForWidth(39) | VtdCap.SagawBitForWidth(48) : sagaw,
            PassThrough = u.PassThrough,
            CachingMode = u.CachingMode,
            QueuedInvalidation = u.QueuedInvalidation,
            FaultRecordingRegisters = Math.Max(1, u.FaultRecordingRegisters),
        };
    }

    /// <summary>
    /// dev_driver_string and dev_name as dma-debug prints them: the driver's name (the scenario's `driver:`,
    /// else the device's own name, since the script is its driver) and the PCI name.
    /// </summary>
    private string DriverAndBdf(string device)
    {
        var d = Scenario.Device(device);
        return $"{d.DriverString ?? d.Name} 0000:{d.Bdf}";
    }

    private DeviceScope Scope(PciBdf b)
    {
        var bdf = ToBdf(b);
        return Pci.Find(bdf)?.IsBridge == true ? DeviceScope.Bridge(bdf) : DeviceScope.Endpoint(bdf);
    }

    private string DeviceName(PciBdf b) => Scenario.Platform.Devices.FirstOrDefault(d => d.Bdf == b)?.Name ?? b.ToString();

    public static Bdf ToBdf(PciBdf b) => new(b.Bus, b.Device, b.Function);

    private static PciFunction ToPci(DeviceConfig d) => new(
        ToBdf(d.Bdf),
        d.Name,
        d.Model switch
        {
            DeviceKind.PcieRootPort => PciFunctionKind.PcieRootPort,
            DeviceKind.PciBridge => PciFunctionKind.PciBridge,
            DeviceKind.PcieToPciBridge => PciFunctionKind.PcieToPciBridge,
            DeviceKind.PcieUpstreamPort => PciFunctionKind.PcieUpstreamPort,
            DeviceKind.PcieDownstreamPort => PciFunctionKind.PcieDownstreamPort,
            _ => PciFunctionKind.Endpoint,
        },
        d.Pcie,
        d.SecondaryBus is { } s ? (byte)s : null,
        VendorId: d.PciId?.Vendor ?? 0x8086,
        DeviceId: d.PciId?.Device ?? 0,
        Acs: d.Acs,
        ExternalFacing: d.ExternalFacing,
        ClassCode: d.ClassCode ?? d.Model switch
        {
            // PCI class codes (PCI Code and ID Assignment spec): 0c0320 EHCI, 010400 RAID, 060400 PCI bridge, 060000 host bridge.
            DeviceKind.UsbController => 0x0c0320u,
            DeviceKind.StorageController => 0x010400u,
            DeviceKind.HostBridge => 0x060000u,
            _ when d.IsBridge => 0x060400u,
            _ => 0u,
        });
}
