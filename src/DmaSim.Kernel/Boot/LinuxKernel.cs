using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Boot;

/// <summary>
/// One booted Linux kernel of a given profile: the boot sequence of its era (e820 → zones → swiotlb →
/// DMAR → VT-d init or fallback → per-device dma ops), then the DMA API its drivers call.
/// </summary>
public sealed class LinuxKernel
{
    private readonly List<KernelDevice> _devices = [];

    public LinuxKernel(KernelContext context, KernelPlatform platform)
    {
        K = context;
        Platform = platform;
        Dma = new DmaApi(context);
    }

    public KernelContext K { get; }
    public KernelPlatform Platform { get; }
    public DmaApi Dma { get; }
    public IntelIommu? Iommu { get; private set; }
    public IReadOnlyList<KernelDevice> Devices => _devices;
    public KernelProfile Profile => K.Profile;

    /// <summary>Why VT-d is not in use, when it is not.</summary>
    public string? IommuOffReason { get; private set; }

    public KernelDevice Device(string name) => _devices.First(d => d.Name == name);

    /// <summary>Boots: the PCI functions must already be in the topology (the BIOS enumerated them).</summary>
    public void Boot(IEnumerable<(string Name, PciFunction Function)> functions)
    {
        foreach (var (name, f) in functions) _devices.Add(new KernelDevice(name, f));
        var k = K;
        if (k.Cmdline.Text.Length > 0) k.Log($"Command line: {k.Cmdline.Text}");
        BootLog.E820(k);
        // start_kernel's parse of the command line: intel_iommu_setup (__setup "intel_iommu=") reports on, off, igfx_off,
        // strict and forcedac as it meets them (2.6.29+), sp_off (3.0+), tboot_noforce (4.12+), sm_on and sm_off in the
        // releases that know them, and from 5.16 an option it does not know.
        foreach (var option in k.Cmdline.IntelIommuOptions)
            if (BootLog.Dialect(k).IntelIommuOption(option) is { } line) k.Log(line);
        if (k.Cmdline.Unrecognised.Count > 0) k.Events.Emit(new IommuDecisionEvent("kernel", "ignored command-line options", string.Join(' ', k.Cmdline.Unrecognised), "not modelled"));

        var over4G = k.Pages.MaxPfn > (1UL << 20);
        // mm_init → pci_iommu_alloc → swiotlb_init (6.0+): swiotlb_adjust_nareas prints the area count before APIC setup
        // parses the DMAR table; the pool's place is printed later, once pci_iommu_init knows it stays (tests/oracle 6.1).
        if (Profile.ModernSwiotlb.Value && Profile.BootSequence.Value == BootSequence.DefaultDomains && WantsBootPool(over4G))
            k.Log(Swiotlb.AreasLine(SwiotlbAreas));
        // intel_iommu_init refuses when no_iommu, iommu=soft or dmar_disabled (and, in 2.6.3x, swiotlb=force).
        // dmar_disabled starts as !CONFIG_INTEL_IOMMU_DEFAULT_ON; intel_iommu=on/off overrides it.
        DmarDisabledByDefault = k.Cmdline.IntelIommuOn is { } on ? !on : !k.IntelIommuDefaultOn;
        PlatformOptInForced = PlatformOptInApplies();
        var dmarUsable = Platform.Dmar is not null && !k.Cmdline.SwiotlbOnly
            && ((!k.Cmdline.NoIommu && !DmarDisabledByDefault) || PlatformOptInForced)
            && !(Profile.SwiotlbForceDisablesVtd.Value && k.Cmdline.SwiotlbForce);
        if (Platform.Dmar is { } dmar)
        {
            // detect_intel_iommu (early, from pci_iommu_alloc) validates the table before anything parses it
            // and prints its warning first; the parse lines come later (intel_iommu_init, or IR's dmar_table_init).
            var rejected = RejectedAtProbe(dmar);
            dmarUsable &= !rejected;
            RefuseBrokenIrqRemapping();
            // Interrupt remapping's setup parses the table at APIC init; without it intel_iommu_init does, later (and
            // only a table detect_intel_iommu accepted reaches it).
            if (TableParsedEarly)
            {
                BootLog.DmarTable(k, dmar);
                // Interrupt remapping, having parsed the table, reports which unit remaps each IOAPIC and HPET, then its mode
                // (3.14+ in the release's wording; intremap=off and the chipset erratum stop it first).
                var irqRemapping = BootLog.Dialect(k).IrqRemapping != IrqRemappingWording.None && !k.Cmdline.IntremapOff
                    && !Platform.FirmwareFaults.Contains(KernelPlatform.IrqRemappingErratum);
                if (irqRemapping)
                {
                    foreach (var line in BootLog.InterruptScopeLines(k, dmar)) k.Log(line);
                    foreach (var line in BootLog.IrqRemappingModeLines(k, dmar, Platform.CpuX2Apic)) k.Log(line);
                }
            }
            else if (!rejected) _lateParseLines = BootLog.DmarTableLines(k, dmar);
        }
        // PCI enumeration (after interrupt remapping's early table parse, before the IOMMU core's initcalls): header fixups.
        PciQuirks.Run(k, _devices);

        switch (Profile.BootSequence.Value)
        {
            case BootSequence.InitDmars: BootInitDmars(over4G, dmarUsable); break;
            case BootSequence.DefaultDomains: BootDefaultDomains(over4G, dmarUsable); break;
            default: throw new InvalidOperationException($"boot sequence {Profile.BootSequence.Value} is not modelled");
        }
        // 75f1cdf1dda9 (2.6.33+): the pool was set up silently; pci_iommu_init announces it only if it stays.
        if (SwiotlbPrintDeferred && k.Swiotlb is { } kept) AnnounceSwiotlb(kept);
    }

    /// <summary>Whether interrupt remapping's setup parsed the DMAR table at APIC init (<see cref="KernelProfile.TableParse"/>).</summary>
    private bool TableParsedEarly => Profile.TableParse.Value == TableParse.Early
        || (!K.Cmdline.IntremapOff && !Platform.FirmwareFaults.Contains(KernelPlatform.IrqRemappingErratum));

    // The parse lines intel_iommu_init prints when interrupt remapping did not parse the table first; null once printed.
    private List<string>? _lateParseLines;

    /// <summary>intel_iommu_init's dmar_table_init, when interrupt remapping left the table to it: the parse lines, once.</summary>
    private void PrintLateParse()
    {
        foreach (var line in _lateParseLines ?? []) K.Log(line);
        _lateParseLines = null;
    }

    /// <summary>
    /// intel_prepare_irq_remapping on a 5500/5520/X58 I/O hub with the draining erratum (irq_remap_broken, set by
    /// early-quirks.c intel_remapping_check) and a BIOS that enabled interrupt remapping: pr_warn under "DMAR-IR: ", then
    /// no remapping, so no early parse. intremap=off returns before the check, silently.
    /// </summary>
    private void RefuseBrokenIrqRemapping()
    {
        if (Profile.TableParse.Value != TableParse.EarlyUnlessIrqRemappingOff || K.Cmdline.IntremapOff
            || !Platform.FirmwareFaults.Contains(KernelPlatform.IrqRemappingErratum)) return;
        K.Log("DMAR-IR: This system BIOS has enabled interrupt remapping");
        K.Log("on a chipset that contains an erratum making that");
        K.Log("feature unstable.  To maintain system stability");
        K.Log("interrupt remapping is being disabled.  Please");
        K.Log("contact your BIOS vendor for an update");
    }

    /// <summary>dmar_disabled before platform_optin_force_iommu: VT-d off by the build's default or by intel_iommu=off.</summary>
    public bool DmarDisabledByDefault { get; private set; }

    /// <summary>platform_optin_force_iommu returned 1: the DMAR table opts in and an external-facing port exists.</summary>
    public bool PlatformOptInForced { get; private set; }

    /// <summary>
    /// platform_optin_force_iommu (5.0+): dmar_platform_optin() (DMAR flags bit 2), not no_platform_optin
    /// (intel_iommu=off sets it), and an untrusted / external-facing PCI port.
    /// </summary>
    private bool PlatformOptInApplies() =>
        Profile.PlatformOptIn.Value != PlatformOptIn.None
        && Platform.Dmar is { } d && (d.Flags & 0x04) != 0
        && K.Cmdline.IntelIommuOn != false
        && _devices.Any(x => x.Pci.ExternalFacing);

    /// <summary>Whether the era sets the pool up silently and prints it once the IOMMU decision is made (75f1cdf1dda9, and 6.x).</summary>
    private bool SwiotlbPrintDeferred => Profile.BootSequence.Value == BootSequence.DefaultDomains || Profile.InitFailureFallback.Value == InitFailureFallback.Swiotlb;

    /// <summary>pci_iommu_init (2.6.33+) / pci_swiotlb_init (2.6.31/32): "PCI-DMA: Using software bounce buffering" then swiotlb_print_info.</summary>
    private void AnnounceSwiotlb(Swiotlb pool)
    {
        K.Log("PCI-DMA: Using software bounce buffering for IO (SWIOTLB)");
        pool.PrintInfo();
    }

    /// <summary>x86 pci_iommu_init of 2.6.3x – 5.2: swiotlb pool, intel_iommu_init → init_dmars, per-device dma ops.</summary>
    private void BootInitDmars(bool over4G, bool dmarUsable)
    {
        var k = K;
        // 2.6.31 gives pass-through devices swiotlb dma ops (4ed0d3e6c64c).
        var passThroughViaSwiotlb = Profile.PassThroughDmaOps.Value == PassThroughOps.Swiotlb && k.Cmdline.PassThrough;
        // Which path sets up the swiotlb pool at boot (arch/x86/kernel/pci-swiotlb.c pci_swiotlb_init):
        // 2.6.31/32: only when no IOMMU was detected (plus iommu=pt in 2.6.31); 2.6.33 (75f1cdf1dda9):
        // whenever RAM goes above 4 GiB, freed again if an IOMMU takes over.
        var wantPool = k.Cmdline.SwiotlbOnly || k.Cmdline.SwiotlbForce
            || (passThroughViaSwiotlb && dmarUsable)
            || (over4G && !k.Cmdline.NoIommu && (!dmarUsable || Profile.InitFailureFallback.Value == InitFailureFallback.Swiotlb));
        if (wantPool) SetUpSwiotlb();

        IDmaOps globalOps = k.Swiotlb is { } pool ? new SwiotlbDmaOps(k, pool) : new NommuDmaOps(k);
        // intel_iommu_init parses the table first, before its dmar_disabled exit.
        PrintLateParse();
        if (dmarUsable && TryInitIntelIommu(out var iommu))
        {
            Iommu = iommu;
            if (passThroughViaSwiotlb && iommu.SiDomain is not null)
            {
                // 2.6.31 pass-through: the DMA API stays on swiotlb (4ed0d3e6c64c).
                foreach (var d in _devices) d.Ops = globalOps;
                return;
            }
            var intelOps = new IntelDmaOps(k, iommu);
            foreach (var d in _devices)
            {
                d.Ops = intelOps;
                if (d.Domain == DeviceDomain.None) d.Domain = iommu.UnitFor(d.Bdf) is null ? DeviceDomain.None : DeviceDomain.Translated;
            }
            // An IOMMU that does not need swiotlb frees the pool (75f1cdf1dda9 step 5).
            if (k.Swiotlb is not null && Profile.IommuReleasesSwiotlb.Value)
            {
                k.Swiotlb = null;
                k.Note("swiotlb pool released: the IOMMU took over DMA (75f1cdf1dda9 step 5)");
            }
            return;
        }
        foreach (var d in _devices) d.Ops = globalOps;
        if (Iommu is null && dmarUsable && globalOps is NommuDmaOps)
            k.Note("VT-d init failed and no swiotlb pool exists: every device uses nommu_dma_ops");
    }

    /// <summary>
    /// detect_intel_iommu's BIOS checks, in the eras that make them at probe time: a rejected table sets
    /// dmar_disabled before pci_swiotlb_init looks at iommu_detected.
    /// </summary>
    private bool RejectedAtProbe(DmarInfo dmar)
    {
        if (Profile.DrhdSanityCheck.Value != DrhdSanityCheck.AtProbe) return false;
        if (BiosSanity.CheckDrhds(K, dmar, Platform.RemappingUnitAt, out var why)) return false;
        IommuOffReason = why;
        return true;
    }

    /// <summary>The IOMMU core of 5.3+: swiotlb pool, intel_iommu_init, default domains per group.</summary>
    private void BootDefaultDomains(bool over4G, bool dmarUsable)
    {
        var k = K;
        if (WantsBootPool(over4G)) SetUpSwiotlb();
        var direct = new DmaDirectOps(k);
        if (dmarUsable && TryInitIntelIommu(out var iommu))
        {
            Iommu = iommu;
            DefaultDomains.Run(k, iommu, _devices, direct, new PlatformOptInState(PlatformOptInForced, DmarDisabledByDefault));
            // 5.4 intel_iommu_init sets swiotlb = 0 unless an untrusted device exists, and pci_swiotlb_late_init frees the pool silently.
            if (k.Swiotlb is not null && Profile.IommuReleasesSwiotlb.Value && !_devices.Any(d => DefaultDomains.Untrusted(k, d)))
            {
                k.Swiotlb = null;
                k.Note("swiotlb pool released: VT-d is on and no device needs bounce pages (intel_iommu_init swiotlb = 0)");
            }
        }
        else
        {
            // iommu_subsys_init runs whether or not a driver registers: the type line is printed all the same.
            DefaultDomains.LogDefaultDomainPolicy(k, k.DefaultPassthrough, k.DefaultStrict);
            // intel_iommu_init parses the table before its dmar_disabled exit.
            PrintLateParse();
            foreach (var d in _devices) d.Ops = direct;
        }
        // x86 pci_iommu_init (6.x): after the IOMMU's init, a kept pool is announced and printed — once, by Boot.
    }

    private bool TryInitIntelIommu(out IntelIommu iommu)
    {
        var k = K;
        var dmar = Platform.Dmar!;
        iommu = null!;
        if (Platform.FirmwareFaults.Contains(KernelPlatform.DmarInitFailure))
        {
            // intel_iommu_init: 2.6.32 printk(KERN_ERR "IOMMU: dmar init failed"); modern pr_err("Initialization failed").
            k.Log(InitMessages.InitFailed(Profile));
            IommuOffReason = "VT-d init failed (firmware fault)";
            return false;
        }
        if (!BiosSanity.Check(k, dmar, Platform.RemappingUnitAt, out var why))
        {
            IommuOffReason = why;
            return false;
        }
        var units = IntelIommu.CreateUnits(k, dmar, Platform.RemappingUnitAt);
        BootLog.Units(k, units, _lateParseLines);
        // iommu_init_domains / alloc_iommu: a unit whose SAGAW offers no usable width fails VT-d init.
        foreach (var u in units.Where(u => u.Hw.Agaw < 0))
        {
            k.Log(InitMessages.NoValidAgaw(Profile, u));
            k.Log(InitMessages.InitFailed(Profile));
            IommuOffReason = "a remapping unit supports no usable address width";
            return false;
        }
        NoRemappingDevices.Mark(k, units, Platform.UnitsOfUnknownScope);
        // init_dmars: queued invalidation where ECAP.QI allows (dmar_enable_qi), else the registers, unit by unit in
        // dmar_drhd_units order (IntelIommu.ListOrder). Ignored units are skipped by both (for_each_active_iommu;
        // init_dmars' "if (drhd->ignored) continue").
        var dialect = BootLog.Dialect(k);
        iommu = new IntelIommu(k, dmar, units);
        var listOrder = iommu.ListOrder;
        // intel_iommu_init (3.2+), past the dmar_disabled exit: the structure lists the table left empty; then init_dmars
        // (5.12+) audits the units' capabilities against the first in list order before enabling invalidation.
        // 5.3+: a parse left to intel_iommu_init comes out after the domain policy lines, with the lines below.
        var initLines = new List<string>(_lateParseLines ?? []);
        _lateParseLines = null;
        if (!dialect.NoneFoundAtTableInit) initLines.AddRange(BootLog.NoneFoundLines(dialect, dmar));
        if (dialect.AuditsCapabilities) initLines.AddRange(CapAudit.Lines([.. listOrder.Select(u => (u.Hw.Cap, u.Hw.Ecap))], dialect.AuditNamesFl5lp));
        foreach (var u in listOrder)
        {
            var qi = u.Hw.SupportsQueuedInvalidation && u.Hw.EnableQueuedInvalidation();
            initLines.Add(InitMessages.InvalidationMethod(dialect, u, qi));
        }
        // init_dmars' second pass over the active units (5.8 – 6.3, CONFIG_INTEL_IOMMU_SVM): register_pasid_allocator warns
        // for a unit in caching mode (a virtual IOMMU) without scalable mode (tests/oracle: QEMU's caching-mode boots).
        if (dialect.WarnsNoPasidAllocation)
            foreach (var u in listOrder.Where(u => u.Hw.CachingMode && !ScalableMode(u, dialect, k.Cmdline.IntelIommuOptions)))
                initLines.Add("DMAR: VT-d Scalable Mode not enabled, no PASID allocation");
        // 5.3+: intel_iommu_init runs after iommu_subsys_init printed the domain policy and after
        // platform_optin_force_iommu, so DefaultDomains prints these lines in their place.
        if (Profile.BootSequence.Value != BootSequence.DefaultDomains)
            foreach (var line in initLines) k.Log(line);
        iommu.InitLines = initLines;
        // init_dmars: dmar_set_interrupt for every unit before translation is enabled.
        iommu.Faults.EnableInterrupts();
        if (Profile.BootSequence.Value == BootSequence.InitDmars)
        {
            var probed = IommuGroupProbe.Run(k, iommu, _devices);
            InitDmars.Run(k, iommu, _devices);
            // intel_iommu_init after the banner: bus_set_iommu adds every present device to its group, in bus order.
            if (dialect.PrintsGroupAdds)
                foreach (var d in probed.Where(d => d.Group is not null)) k.Log($"iommu: Adding device {d.PciName} to group {d.Group}");
        }
        return true;
    }

    /// <summary>
    /// sm_supported: intel_iommu_sm and ECAP.SMTS. intel_iommu_sm starts as CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON,
    /// default y from 792fb43ce2c9 "iommu/vt-d: Enable Intel IOMMU scalable mode by default" (5.15); intel_iommu=sm_on
    /// (5.0+) and sm_off (5.15+) set it as intel_iommu_setup meets them, the last one winning.
    /// </summary>
    private static bool ScalableMode(DmarUnit u, LogDialect dialect, IReadOnlyList<IntelIommuOption> intelIommuOptions)
    {
        var sm = dialect.ScalableModeByDefault;
        foreach (var (option, _) in intelIommuOptions)
        {
            if (option == "sm_on" && dialect.ScalableModeOptions != ScalableModeOptionWording.None) sm = true;
            else if (option == "sm_off" && dialect.ScalableModeOptions == ScalableModeOptionWording.SmOnSmOff) sm = false;
        }
        return VtdEcap.Smts.IsSet(u.Hw.Ecap) && sm;
    }

    /// <summary>pci_swiotlb_detect (5.3+): a bounce pool whenever RAM goes above 4 GiB, unless iommu=off or swiotlb=noforce.</summary>
    private bool WantsBootPool(bool over4G) =>
        (over4G && !K.Cmdline.NoIommu && !K.Cmdline.SwiotlbNoForce) || K.Cmdline.SwiotlbForce || K.Cmdline.SwiotlbOnly;

    /// <summary>
    /// The pool's areas: roundup_pow_of_two(num_possible_cpus()). A scenario names no CPU count, so the model boots one
    /// possible CPU and one area (as the recorded QEMU guests).
    /// </summary>
    private const int SwiotlbAreas = 1;

    private void SetUpSwiotlb()
    {
        var k = K;
        // swiotlb=0 leaves io_tlb_nslabs at 0, which swiotlb_init_with_default_size (lib/swiotlb.c,
        // 2.6.32) replaces with the default 64 MiB; the same rule is applied to the modern eras.
        var slabs = k.Cmdline.SwiotlbSlabs is { } n and > 0 ? n : 32768;
        // dma32_reserve_bootmem only reserves (and so only moves bootmem's hint to 512 MiB) when RAM goes above 4 GiB.
        var hint = Profile.SwiotlbPlacement.Value == SwiotlbPlacement.BootmemHint512M && k.Pages.MaxPfn > (1UL << 20);
        // 2.6.31/2.6.32 pci_swiotlb_init: printk "PCI-DMA: Using software bounce buffering" and swiotlb_init(1), verbose at once.
        if (!SwiotlbPrintDeferred) k.Log("PCI-DMA: Using software bounce buffering for IO (SWIOTLB)");
        k.Swiotlb = Swiotlb.TryCreate(k.Pages, k.Memory, k.Events, new SwiotlbConfig
        {
            PrintInfoAtInit = !SwiotlbPrintDeferred,
            Areas = SwiotlbAreas,
            InfoWording = BootLog.Dialect(k).SwiotlbInfo,
            PoolSize = Math.Min(slabs, 1UL << 24) * Swiotlb.IoTlbSize,
            Variant = Profile.ModernSwiotlb.Value ? SwiotlbVariant.Modern : SwiotlbVariant.Legacy,
            BootmemGoal = hint ? SwiotlbConfig.LegacyBootmemGoal : null,
            Dynamic = k.SwiotlbDynamic && Profile.SwiotlbDynamic.Value,
        });
    }

    /// <summary>Interrupts the hardware raised since the kernel last ran: the DMAR fault handler.</summary>
    public void ServiceInterrupts() => Iommu?.Faults.Service();

    /// <summary>
    /// Kernel timers whose time has come: the lazy-unmap flush queue's 10 ms timer (add_unmap's unmap_timer,
    /// iova.c/dma-iommu.c's fq_timer) fires on its own, not only when the next DMA API call looks.
    /// </summary>
    public void RunExpiredTimers() => Iommu?.Unmaps.Poll();

    /// <summary>Memory hot-add: the allocator grows, max_pfn (and the required mask) rises where the era says so, and the eras with a memory notifier extend the software identity map.</summary>
    public void HotAddMemory(PhysRange range)
    {
        var k = K;
        k.E820.Add(new E820Entry(range, E820Type.Usable));
        k.Owners.Assign(range, FrameOwner.Free);
        k.BeforeHotAdd();
        k.Pages.HotAdd(range);
        var maxPfn = Profile.HotAddRaisesMaxPfn.Value ? $"max_pfn {Hex.Format(k.MaxPfn)}" : $"max_pfn stays {Hex.Format(k.MaxPfn)} (this era's hot-add does not raise it)";
        k.Note($"memory hot-add [mem {Hex.Format(range.Start.Value, 16)}-{Hex.Format(range.End.Value, 16)}] online; {maxPfn}, required DMA mask now {Hex.Format(k.RequiredMask(null))}");
        if (Iommu?.SiDomain is { Table: not null } si)
        {
            if (Profile.HotplugExtendsIdentityMap.Value) Iommu.IdentityMap(si, range);
            else k.Note("no memory notifier in this era: si_domain's identity map does not cover the new memory");
        }
    }
}
