using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// Modern IOMMU core (drivers/iommu/iommu.c): every group gets a default domain at probe — identity
/// (hardware pass-through only) or DMA / DMA-FQ — and the DMA API follows from it: identity →
/// dma-direct, DMA → dma-iommu (iommu_setup_dma_ops). RMRRs become direct mappings.
/// </summary>
/// <summary>What platform_optin_force_iommu found: it forced VT-d on, and whether VT-d had been off (dmar_disabled).</summary>
public readonly record struct PlatformOptInState(bool Forced, bool WasDisabled);

public static class DefaultDomains
{
    /// <summary>
    /// pdev->untrusted: below an external-facing port (drivers/pci/probe.c set_pcie_untrusted); in the
    /// IDENTMAP_ALL era (5.0 – 5.7) pci_acpi_set_untrusted marked the port itself untrusted too.
    /// </summary>
    public static bool Untrusted(KernelContext k, KernelDevice dev)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(dev);
        if (dev.Pci.ExternalFacing && k.Profile.PlatformOptIn.Value == PlatformOptIn.IdentMapAll) return true;
        return k.Pci.BridgesAbove(dev.Bdf).Any(b => b.ExternalFacing);
    }

    /// <summary>
    /// iommu_subsys_init (drivers/iommu/iommu.c, 6.1): pr_info("Default domain type: %s %s\n") — a trailing
    /// space unless iommu=pt/nopt or iommu.passthrough= set it, none from 6.5 (<see cref="KernelProfile.PolicyLinesTrailingSpace"/>) — and, only for a translated default,
    /// pr_info("DMA domain TLB invalidation policy: %s mode %s\n") with "(set via kernel command line)" for
    /// iommu.strict= (intel_iommu=strict calls iommu_set_dma_strict and sets no command-line flag).
    /// </summary>
    public static void LogDefaultDomainPolicy(KernelContext k, bool identity, bool strict)
    {
        ArgumentNullException.ThrowIfNull(k);
        if (k.Profile.DefaultDomainLog.Value == DefaultDomainLog.None) return;
        var typeViaCmdline = k.Cmdline.PassThrough || k.Cmdline.NoPassThrough;
        k.Log($"iommu: Default domain type: {(identity ? "Passthrough" : "Translated")}{ViaCmdline(k, typeViaCmdline)}");
        if (identity || k.Profile.DefaultDomainLog.Value != DefaultDomainLog.TypeAndFlushPolicy) return;
        k.Log($"iommu: DMA domain TLB invalidation policy: {(strict ? "strict" : "lazy")} mode{ViaCmdline(k, k.Cmdline.StrictSetViaIommuParam)}");
    }

    // "%s %s" with "(set via kernel command line)" or "" until 6.4; "%s%s" with " (set via …)" from 6.5.
    private static string ViaCmdline(KernelContext k, bool set) =>
        set ? " (set via kernel command line)" : k.Profile.PolicyLinesTrailingSpace.Value ? " " : "";

    /// <summary>device_def_domain_type's inputs (5.4: RMRR-locked, bridged and conventional-PCI devices want DMA).</summary>
    private static IdentityInputs IntelInputs(KernelContext k, IntelIommu iommu, KernelDevice dev) => new(
        true, dev.Pci.IsPcie, k.Pci.IsOnRootBus(dev.Bdf), dev.Pci.Kind, dev.DmaMask, dev.CoherentDmaMask,
        KernelContext.RequiredMaskForMaxPfn(k.MaxPfn), iommu.HasRmrr(dev.Bdf), dev.Pci.IsUsb, dev.Pci.IsGraphics, iommu.IdentMapGfx);

    /// <summary>
    /// intel_iommu_add_device (5.3 – 5.7) when the group keeps another default: get_private_domain_for_dev maps
    /// each RMRR of the device (for_each_rmrr_units, so in the kernel's list order) through
    /// domain_prepare_identity_map, whose dev_info prints each range, then "Device uses a private dma domain."
    /// (HP DL388p Gen8 log, 5.4.0: six "Setting identity map" lines per NIC, then that line).
    /// </summary>
    private static void PrivateDmaDomain(KernelContext k, IntelIommu iommu, KernelDevice dev, DmarDomain domain)
    {
        foreach (var r in iommu.RmrrsOf(dev.Bdf))
        {
            k.Log($"pci {dev.PciName}: DMAR: Setting identity map [0x{r.Range.Start.Value:x} - 0x{r.Range.End.Value:x}]");
            iommu.MapRmrr(dev, domain, r);
        }
        k.Log($"pci {dev.PciName}: DMAR: Device uses a private dma domain.");
    }

    /// <summary>
    /// 5.10 – 6.9 with IDENTMAP_GFX: the groups whose default domain a display function asks to be identity
    /// (device_def_domain_type → IOMMU_DOMAIN_IDENTITY; probe_get_default_domain_type takes the group's one requested type,
    /// so the GPU's audio function shares it). An untrusted device asks for DMA instead (left to the default). 5.3 – 5.7
    /// ask per device instead (intel_iommu_add_device, below).
    /// </summary>
    private static HashSet<int> GraphicsIdentityGroups(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> probed)
    {
        if (!iommu.IdentMapGfx || k.Profile.PrivateDomains.Value) return [];
        return [.. probed.Where(d => d.Pci.IsGraphics).Select(d => d.Group!.Value)
            .Where(g => !probed.Any(o => o.Group == g && o.Untrusted))];
    }

    public static void Run(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> devices, IDmaOps direct, PlatformOptInState optIn = default)
    {
        foreach (var u in iommu.ActiveUnits) u.Hw.SetRootTable();
        foreach (var d in devices) d.Untrusted = Untrusted(k, d);
        iommu.Strict = k.DefaultStrict;
        var wantIdentity = k.DefaultPassthrough;
        LogDefaultDomainPolicy(k, wantIdentity, iommu.Strict);
        // intel_iommu_init → platform_optin_force_iommu, after iommu_subsys_init printed the type line above.
        var identMapAll = wantIdentity;
        if (optIn.Forced)
        {
            if (optIn.WasDisabled || k.Cmdline.NoIommu) k.Log("DMAR: Intel-IOMMU force enabled due to platform opt in");
            if (optIn.WasDisabled && k.Profile.PlatformOptIn.Value == PlatformOptIn.IdentMapAll) identMapAll = true;
            if (optIn.WasDisabled && k.Profile.PlatformOptIn.Value == PlatformOptIn.DefaultPassthrough) wantIdentity = identMapAll = true;
        }
        // intel_iommu_init's "No … found" lines, then init_dmars (6.1): the capability audit and each unit's invalidation
        // line, before the caching-mode check below (QEMU 6.1 recordings).
        foreach (var line in iommu.InitLines) k.Log(line);
        // intel_iommu_init, after init_dmars: a unit in caching mode (a virtual IOMMU) makes every DMA
        // domain strict; the policy line above was printed earlier by iommu_subsys_init and stays "lazy".
        if (k.Profile.CachingModeForcesStrict.Value && iommu.ActiveUnits.Any(u => u.Hw.CachingMode))
        {
            k.Log("DMAR: IOMMU batching disallowed due to virtualization");
            iommu.Strict = true;
        }
        IDmaOps dmaOps = k.Profile.TranslatedDmaOps.Value == TranslatedOps.DmaIommu ? new DmaIommuOps(k, iommu) : new IntelDmaOps(k, iommu);
        var groups = new Dictionary<int, DmarDomain>();
        // 5.3 – 5.7: what each group's default domain currently is (a request from its first device may change it).
        if (dmaOps is IntelDmaOps intel) intel.GroupSize = d => devices.Count(o => o.Group is { } g && g == d.Group);
        var groupIdentity = new Dictionary<int, bool>();
        var probed = new Dictionary<int, int>();
        iommu.IdentMapAll = identMapAll;
        iommu.IdentMapGfx = IdentMapGfx.Applies(k);
        // init_dmars (6.1): hw_pass_through is cleared if any unit lacks ECAP.PT, and si_domain_init then
        // builds real 1:1 tables (RMRRs included); intel_iommu_init registers the memory notifier for it.
        // 6.12: identity is hardware pass-through only; a unit without ECAP.PT gets DMA domains instead (below).
        iommu.HwPassThrough = k.Profile.IdentityNeedsPassThroughUnit.Value || iommu.ActiveUnits.All(u => u.Hw.SupportsPassThrough);
        var hw = iommu.HwPassThrough;
        var identity = iommu.InitSiDomain(hw);
        if (!hw)
            foreach (var r in iommu.Dmar.Rmrrs) iommu.IdentityMap(identity, r.Range);
        foreach (var dev in devices.Where(d => iommu.UnitFor(d.Bdf) is null))
        {
            dev.Ops = direct;
            dev.Domain = DeviceDomain.None;
        }
        // bus_set_iommu → bus_iommu_probe: devices are probed in bus-scan order; each group gets one default domain.
        var loss = DirectMappingLoss.For(k);
        var probedDevices = IommuGroupProbe.Run(k, iommu, devices);
        var graphicsGroups = GraphicsIdentityGroups(k, iommu, probedDevices);
        foreach (var dev in probedDevices)
        {
            var switchedToDma = false;
            var unit = iommu.UnitFor(dev.Bdf)!;
            var group = dev.Group!.Value;
            k.Log($"pci {dev.PciName}: Adding to iommu group {group}");
            probed[group] = probed.GetValueOrDefault(group) + 1;
            // The core never gives an untrusted device an identity domain (iommu_get_def_domain_type).
            var identityOk = groupIdentity.TryGetValue(group, out var current) ? current
                : (wantIdentity || graphicsGroups.Contains(group)) && (k.Profile.PrivateDomains.Value || !dev.Untrusted);
            // device_def_domain_type (6.12): IOMMU_DOMAIN_DMA under a unit that cannot pass through, allocated as requested (strict).
            var driverWantsDma = k.Profile.IdentityNeedsPassThroughUnit.Value && !unit.Hw.SupportsPassThrough;
            if (driverWantsDma) identityOk = false;
            string? privateDomain = null;
            if (k.Profile.PrivateDomains.Value)
            {
                // intel_iommu_add_device (5.3 – 5.7): device_def_domain_type against the group's default.
                var verdict = IdentityPolicy.Decide(k.Profile, IntelInputs(k, iommu, dev), startup: true);
                var want = (identMapAll || (iommu.IdentMapGfx && dev.Pci.IsGraphics)) && verdict.Identity && !dev.Untrusted;
                if (want != identityOk)
                {
                    if (probed[group] == 1)
                    {
                        // request_default_domain_for_dev: a group of one switches its default domain.
                        identityOk = want;
                        switchedToDma = !want;
                        k.Log($"pci {dev.PciName}: Using iommu {(want ? "direct" : "dma")} mapping");
                    }
                    else
                    {
                        privateDomain = want ? "identity" : "dma";
                    }
                    k.Events.Emit(new IommuDecisionEvent(dev.Name, want ? "identity domain requested" : "DMA domain requested", verdict.Reason, k.Profile.PrivateDomains.Source));
                }
                groupIdentity.TryAdd(group, identityOk);
                if (privateDomain is not null)
                {
                    // iommu_group_add_device mapped the device's RMRRs into the group's DMA domain before the driver moved it
                    // out; the domain is then flagged as having lost a child (5.3 – 5.4.6: no later map succeeds in it).
                    if (groups.TryGetValue(group, out var shared) && loss.Maps(group))
                        foreach (var r in iommu.RmrrsOf(dev.Bdf)) iommu.MapRmrr(dev, shared, r);
                    loss.LostChild(group);
                    identityOk = privateDomain == "identity";
                    // A private DMA domain is announced after its RMRRs are mapped (below).
                    if (identityOk) k.Log($"pci {dev.PciName}: DMAR: Device uses a private identity domain.");
                }
            }
            if (identityOk)
            {
                iommu.Attach(dev, identity, hw ? ContextTranslationType.PassThrough : ContextTranslationType.MultiLevel);
                dev.Ops = IdentityOps(k, direct, dmaOps);
                dev.Domain = hw ? DeviceDomain.PassThrough : DeviceDomain.Identity;
                k.Events.Emit(new IommuDecisionEvent(dev.Name, hw ? "identity default domain (hardware pass-through)" : "identity default domain (software si_domain: a unit lacks ECAP.PT)",
                    optIn.Forced && optIn.WasDisabled ? "the platform opt-in forced VT-d on in a kernel built with it off: identity for every trusted device"
                        : !wantIdentity ? "intel_iommu=igfx_off sets IDENTMAP_GFX: a display function asks for an identity domain (device_def_domain_type)"
                        : k.Cmdline.PassThrough ? "iommu=pt sets the default domain type to identity" : "the kernel was built with CONFIG_IOMMU_DEFAULT_PASSTHROUGH: identity is the default domain type",
                    !wantIdentity && !optIn.Forced ? k.Profile.IgfxOffIdentityMapsGraphics.Source : "drivers/iommu/iommu.c iommu_get_default_domain_type; drivers/iommu/intel/iommu.c (6.1) init_dmars, si_domain_init"));
            }
            else
            {
                DmarDomain? domain;
                if (privateDomain is not null)
                {
                    domain = iommu.NewDmaDomain([unit]);
                    PrivateDmaDomain(k, iommu, dev, domain);
                }
                else if (!groups.TryGetValue(group, out domain))
                {
                    domain = iommu.NewDmaDomain([unit]);
                    // A type the group asked for (untrusted: iommu_get_def_domain_type; 6.12's driver request) is never DMA-FQ.
                    domain.Strict = driverWantsDma || (k.Profile.UntrustedStrict.Value && k.Profile.TranslatedDmaOps.Value == TranslatedOps.DmaIommu && dev.Untrusted);
                    groups[group] = domain;
                }
                iommu.Attach(dev, domain, ContextTranslationType.MultiLevel);
                // iommu_create_device_direct_mappings: RMRRs (IOMMU_RESV_DIRECT[_RELAXABLE]) mapped 1:1 — unless this kernel
                // lost them (a probe-time switch, or a domain that lost a child: DirectMappingLoss).
                if (k.Profile.RmrrMappedIntoNewDomains.Value && privateDomain is null)
                {
                    if (loss.Applies && (switchedToDma || !loss.Maps(group)) && iommu.HasRmrr(dev.Bdf))
                        k.Events.Emit(new IommuDecisionEvent(dev.Name, "RMRR direct mappings lost",
                            switchedToDma ? "the group switched to a DMA domain at probe and the core mapped the device's RMRRs into the old identity domain"
                                : "the group's DMA domain lost a device to a private domain, and intel_iommu_map refuses such a domain",
                            k.Profile.LosesRmrrDirectMappings.Source));
                    else
                        foreach (var r in iommu.RmrrsOf(dev.Bdf)) iommu.MapRmrr(dev, domain, r);
                }
                dev.Ops = dmaOps;
                dev.Domain = DeviceDomain.Translated;
                // intel_iommu_add_device (5.4 – 5.7): bounce_dma_ops for an untrusted device, announced.
                if (dev.Untrusted && k.Profile.UntrustedBounce.Value == UntrustedBounce.IntelBounceOpsAnnounced)
                    k.Log($"pci {dev.PciName}: DMAR: Use Intel IOMMU bounce page dma_ops");
                k.Events.Emit(new IommuDecisionEvent(dev.Name, "DMA default domain",
                    driverWantsDma ? "the unit has no hardware pass-through (ECAP.PT clear), so the Intel driver asks for a DMA domain, allocated strict"
                        : dev.Untrusted ? "an untrusted (external-facing) device never gets an identity domain"
                        : "default domain type is translated",
                    driverWantsDma ? k.Profile.IdentityNeedsPassThroughUnit.Source : "drivers/iommu/intel/iommu.c device_def_domain_type; drivers/iommu/iommu.c iommu_subsys_init"));
            }
        }
        foreach (var u in iommu.ActiveUnits)
        {
            u.Hw.FlushContextGlobal();
            u.Hw.FlushIotlbGlobal();
            u.Hw.EnableTranslation();
        }
        k.Log(Boot.BootLog.Dialect(k).VtdBanner());
    }

    /// <summary>
    /// The dma ops of an identity default domain (<see cref="KernelProfile.PassThroughDmaOps"/>): iommu_setup_dma_ops
    /// leaves none, so dma-direct; 5.4's global intel_dma_ops, whose iommu_need_mapping passes identity devices to dma-direct.
    /// </summary>
    private static IDmaOps IdentityOps(KernelContext k, IDmaOps direct, IDmaOps intel) => k.Profile.PassThroughDmaOps.Value switch
    {
        PassThroughOps.DmaDirect => direct,
        PassThroughOps.IntelDmaOps when intel is IntelDmaOps => intel,
        var other => throw new InvalidOperationException($"{k.Profile.Name}: identity default domains with {other} dma ops are not modelled"),
    };
}
