using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Profiles;

/// <summary>
/// The set of decisions one kernel version makes about DMA and VT-d. Each decision is a named rule with
/// its source, so one era's policy reads as one list and changes in one place: the profile's own file
/// (Linux2631Profile.cs …), which states only what differs from its predecessor. Model code reads these
/// rules and never the era itself (ArchitectureTests).
/// </summary>
public sealed record KernelProfile
{
    public required string Name { get; init; }
    public required string Summary { get; init; }
    public required Era Era { get; init; }

    /// <summary>Dma ops of a device the IOMMU passes through (hardware or software identity).</summary>
    public required Rule<PassThroughOps> PassThroughDmaOps { get; init; }

    /// <summary>Zone choice of intel_alloc_coherent for a no-mapping (identity) device.</summary>
    public required Rule<IdentityCoherentAlloc> IdentityCoherentAlloc { get; init; }

    /// <summary>iommu_should_identity_map at run time.</summary>
    public required Rule<IdentityCheck> RuntimeIdentityCheck { get; init; }

    /// <summary>Conventional PCI devices off the root bus, and PCI bridges, are never identity-mapped (3dfc813d).</summary>
    public required Rule<bool> BridgedDevicesNeverIdentity { get; init; }

    /// <summary>Fallback when VT-d is found but init_dmars fails.</summary>
    public required Rule<InitFailureFallback> InitFailureFallback { get; init; }

    /// <summary>Whether a domain created for a device that leaves si_domain gets the device's RMRRs mapped.</summary>
    public required Rule<bool> RmrrMappedIntoNewDomains { get; init; }

    /// <summary>
    /// 5.3 – 5.4.6: the IOMMU core loses RMRR direct mappings twice over — a group that switches its default domain maps
    /// the requester's RMRRs into the old one, and a DMA domain that lost a device to a private domain refuses every
    /// later map (so later devices' RMRRs). Fixed in 5.4.7 and 5.5-rc2 (<see cref="Iommu.DirectMappingLoss"/>).
    /// </summary>
    public required Rule<bool> LosesRmrrDirectMappings { get; init; }

    /// <summary>
    /// intel_iommu=igfx_off also sets IDENTMAP_GFX: every display function, also one under the include-all unit, is identity
    /// mapped (5.2 – 6.9; the linux-4.19 profile applies it from 4.19.99, the stable backport). See <see cref="Iommu.Intel.IdentMapGfx"/>.
    /// </summary>
    public required Rule<bool> IgfxOffIdentityMapsGraphics { get; init; }

    /// <summary>Mask that bounds coherent IOVAs of translated devices.</summary>
    public required Rule<CoherentIovaLimit> CoherentIovaLimit { get; init; }

    public required Rule<IovaAlgorithm> Iova { get; init; }

    /// <summary>Default unmap invalidation (T1: lazy with 250-entry high-water mark; T4: DMA-FQ).</summary>
    public required Rule<InvalidationMode> DefaultInvalidation { get; init; }

    /// <summary>How many freed IOVAs the lazy unmap queue holds before it flushes (HIGH_WATER_MARK; the flush queue ring).</summary>
    public required Rule<int> LazyUnmapQueueCapacity { get; init; }

    /// <summary>DEFAULT_DOMAIN_ADDRESS_WIDTH used for AGAW selection.</summary>
    public required Rule<int> DefaultDomainAddressWidth { get; init; }

    /// <summary>Legacy swiotlb (single index, overflow buffer, panic) or modern (areas, "buffer is full").</summary>
    public required Rule<bool> ModernSwiotlb { get; init; }

    /// <summary>device_is_rmrr_locked in the identity decision: a device an RMRR names (USB and graphics excepted) is never identity-mapped (3.8 – 5.5).</summary>
    public required Rule<bool> RmrrDevicesNeverIdentity { get; init; }

    /// <summary>Memory hot-add extends the software identity map (intel_iommu_memory_notifier).</summary>
    public required Rule<bool> HotplugExtendsIdentityMap { get; init; }

    public required Rule<LogStyle> LogStyle { get; init; }

    /// <summary>Which CONFIG_DMA_API_DEBUG checks the era's debug.c has, and how it prefixes its messages.</summary>
    public required Rule<DmaDebugChecks> DmaDebug { get; init; }

    /// <summary>Who decides domains at boot: init_dmars of the driver, or the IOMMU core's default domains.</summary>
    public required Rule<BootSequence> BootSequence { get; init; }

    /// <summary>When the DMAR table's lines are printed: interrupt remapping's early parse, unless it is off (<see cref="Profiles.TableParse"/>).</summary>
    public required Rule<TableParse> TableParse { get; init; }

    /// <summary>Whether devices are first probed in bus order, or unit by unit as each registers (<see cref="Profiles.GroupProbeOrder"/>).</summary>
    public required Rule<GroupProbeOrder> GroupProbeOrder { get; init; }

    /// <summary>What identity mapping init_dmars builds: pass-through contexts only (2.6.31) or si_domain.</summary>
    public required Rule<IdentityMapping> IdentityMapping { get; init; }

    /// <summary>The arch DMA-API front end: dma_supported, the coherent zone flags, dma_get_required_mask.</summary>
    public required Rule<DmaApiFrontEnd> DmaApiFrontEnd { get; init; }

    /// <summary>intel_iommu_init refuses to run under swiotlb=force.</summary>
    public required Rule<bool> SwiotlbForceDisablesVtd { get; init; }

    /// <summary>The boot-time swiotlb pool is freed when VT-d takes over DMA.</summary>
    public required Rule<bool> IommuReleasesSwiotlb { get; init; }

    /// <summary>How lazy unmaps wait for their IOTLB flush.</summary>
    public required Rule<FlushQueue> FlushQueue { get; init; }

    /// <summary>How domain ids are handed out per unit.</summary>
    public required Rule<DomainIdAllocation> DomainIds { get; init; }

    /// <summary>A caching-mode flush after a not-present → present change targets domain 0, not the domain's id.</summary>
    public required Rule<bool> CachingModeFlushesDomainZero { get; init; }

    /// <summary>Page-selective invalidation widens the mask until the aligned window covers the range.</summary>
    public required Rule<bool> AlignPageSelectiveRange { get; init; }
    /// <summary>Which devices share isolation: context entries (2.6.3x/3.0) or IOMMU groups (pci_device_group).</summary>
    public required Rule<Iommu.IGroupFormation> IommuGroups { get; init; }

    /// <summary>Whether a unit in caching mode (a virtual IOMMU) forces strict invalidation.</summary>
    public required Rule<bool> CachingModeForcesStrict { get; init; }

    /// <summary>VFIO and RMRR devices (null / assignable / refused).</summary>
    public required Rule<Iommu.VfioRmrrPolicy> VfioRmrr { get; init; }

    /// <summary>How the DMAR fault interrupt handler prints a fault.</summary>
    public required Rule<FaultLogStyle> FaultLog { get; init; }

    /// <summary>iommu_prepare_static_identity_mapping skips host bridges (IS_BRIDGE_HOST_DEVICE) before asking iommu_should_identity_map.</summary>
    public required Rule<bool> SkipsHostBridgesInStaticIdentityMap { get; init; }

    /// <summary>Wording details of the legacy (2.6.3x/3.0) DMAR and intel-iommu lines.</summary>
    public required Rule<LegacyLogWording> LegacyWording { get; init; }

    /// <summary>When the kernel rejects a DRHD at address zero or one whose registers read all ones, and whether it checks the latter at all.</summary>
    public required Rule<DrhdSanityCheck> DrhdSanityCheck { get; init; }

    /// <summary>Where the boot-time swiotlb pool lands below 4 GiB.</summary>
    public required Rule<SwiotlbPlacement> SwiotlbPlacement { get; init; }

    /// <summary>The Intel driver overrides the core's default domain per device (device_def_domain_type → iommu_request_dm/dma_domain_for_dev, else a private domain): 5.3 – 5.7.</summary>
    public required Rule<bool> PrivateDomains { get; init; }

    /// <summary>platform_optin_force_iommu: Thunderbolt-era firmware forcing VT-d on.</summary>
    public required Rule<PlatformOptIn> PlatformOptIn { get; init; }

    /// <summary>What iommu_subsys_init prints about the default domain type and the TLB invalidation policy.</summary>
    public required Rule<DefaultDomainLog> DefaultDomainLog { get; init; }

    /// <summary>The dma ops of a device whose default domain translates (intel_dma_ops or dma-iommu).</summary>
    public required Rule<TranslatedOps> TranslatedDmaOps { get; init; }

    /// <summary>After one failed below-4-GiB IOVA attempt the device stops trying ("iommu: Optimise PCI SAC address trick", 6.4).</summary>
    public required Rule<bool> SacTrickGivesUp { get; init; }

    /// <summary>Which `kernel: config: iommu-default-dma` choices exist and reach the Intel driver.</summary>
    public required Rule<DefaultDmaKconfig> DefaultDmaKconfig { get; init; }

    /// <summary>Who bounces an untrusted device's partial-page buffers through swiotlb: nobody, the Intel driver (5.4 – 5.10) or dma-iommu (5.11+).</summary>
    public required Rule<UntrustedBounce> UntrustedBounce { get; init; }

    /// <summary>iommu_subsys_init's policy lines end in a space when nothing was set on the command line (5.3 – 6.4).</summary>
    public required Rule<bool> PolicyLinesTrailingSpace { get; init; }

    /// <summary>An untrusted device's unmaps invalidate at once, never through the flush queue (5.4+).</summary>
    public required Rule<bool> UntrustedStrict { get; init; }

    /// <summary>A device under a unit without ECAP.PT cannot have an identity domain: the driver asks for DMA (6.12).</summary>
    public required Rule<bool> IdentityNeedsPassThroughUnit { get; init; }

    /// <summary>intel_dma_ops allocates with alloc_iova_fast, unmaps the size it is given and queues IOVAs in the domain's flush queue (4.14+).</summary>
    public required Rule<bool> IntelOpsIovaFast { get; init; }

    /// <summary>Who sets an Intel integrated GPU's masks: intel-agp (36-bit streaming for i965-class bridges) or i915 by its chip table.</summary>
    public required Rule<IgdDmaMasks> IgdDmaMasks { get; init; }

    /// <summary>x86-64 memory hot-add raises max_pfn, and with it dma_get_required_mask (2.6.33+; stable 2.6.32.19).</summary>
    public required Rule<bool> HotAddRaisesMaxPfn { get; init; }

    /// <summary>The build can have CONFIG_SWIOTLB_DYNAMIC (6.6+): `kernel: config: swiotlb-dynamic` turns run-time bounce pools on.</summary>
    public required Rule<bool> SwiotlbDynamic { get; init; }

    /// <summary>The release whose log wording the profile prints when the scenario names no kernel.version ("" = the era's own wording).</summary>
    public required Rule<string> DefaultRelease { get; init; }

    /// <summary>Every rule with its name, for reports ("why did this happen").</summary>
    public IEnumerable<(string Name, string Value, string Source)> Rules()
    {
        yield return (nameof(PassThroughDmaOps), PassThroughDmaOps.Value.ToString(), PassThroughDmaOps.Source);
        yield return (nameof(IdentityCoherentAlloc), IdentityCoherentAlloc.Value.ToString(), IdentityCoherentAlloc.Source);
        yield return (nameof(RuntimeIdentityCheck), RuntimeIdentityCheck.Value.ToString(), RuntimeIdentityCheck.Source);
        yield return (nameof(BridgedDevicesNeverIdentity), BridgedDevicesNeverIdentity.Value.ToString(), BridgedDevicesNeverIdentity.Source);
        yield return (nameof(InitFailureFallback), InitFailureFallback.Value.ToString(), InitFailureFallback.Source);
        yield return (nameof(RmrrMappedIntoNewDomains), RmrrMappedIntoNewDomains.Value.ToString(), RmrrMappedIntoNewDomains.Source);
        yield return (nameof(LosesRmrrDirectMappings), LosesRmrrDirectMappings.Value.ToString(), LosesRmrrDirectMappings.Source);
        yield return (nameof(IgfxOffIdentityMapsGraphics), IgfxOffIdentityMapsGraphics.Value.ToString(), IgfxOffIdentityMapsGraphics.Source);
        yield return (nameof(CoherentIovaLimit), CoherentIovaLimit.Value.ToString(), CoherentIovaLimit.Source);
        yield return (nameof(Iova), Iova.Value.ToString(), Iova.Source);
        yield return (nameof(DefaultInvalidation), DefaultInvalidation.Value.ToString(), DefaultInvalidation.Source);
        yield return (nameof(LazyUnmapQueueCapacity), LazyUnmapQueueCapacity.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), LazyUnmapQueueCapacity.Source);
        yield return (nameof(DefaultDomainAddressWidth), DefaultDomainAddressWidth.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), DefaultDomainAddressWidth.Source);
        yield return (nameof(ModernSwiotlb), ModernSwiotlb.Value.ToString(), ModernSwiotlb.Source);
        yield return (nameof(RmrrDevicesNeverIdentity), RmrrDevicesNeverIdentity.Value.ToString(), RmrrDevicesNeverIdentity.Source);
        yield return (nameof(HotplugExtendsIdentityMap), HotplugExtendsIdentityMap.Value.ToString(), HotplugExtendsIdentityMap.Source);
        yield return (nameof(LogStyle), LogStyle.Value.ToString(), LogStyle.Source);
        yield return (nameof(DmaDebug), DmaDebug.Value.ToString(), DmaDebug.Source);
        yield return (nameof(BootSequence), BootSequence.Value.ToString(), BootSequence.Source);
        yield return (nameof(TableParse), TableParse.Value.ToString(), TableParse.Source);
        yield return (nameof(GroupProbeOrder), GroupProbeOrder.Value.ToString(), GroupProbeOrder.Source);
        yield return (nameof(IdentityMapping), IdentityMapping.Value.ToString(), IdentityMapping.Source);
        yield return (nameof(DmaApiFrontEnd), DmaApiFrontEnd.Value.ToString(), DmaApiFrontEnd.Source);
        yield return (nameof(SwiotlbForceDisablesVtd), SwiotlbForceDisablesVtd.Value.ToString(), SwiotlbForceDisablesVtd.Source);
        yield return (nameof(IommuReleasesSwiotlb), IommuReleasesSwiotlb.Value.ToString(), IommuReleasesSwiotlb.Source);
        yield return (nameof(FlushQueue), FlushQueue.Value.ToString(), FlushQueue.Source);
        yield return (nameof(DomainIds), DomainIds.Value.ToString(), DomainIds.Source);
        yield return (nameof(CachingModeFlushesDomainZero), CachingModeFlushesDomainZero.Value.ToString(), CachingModeFlushesDomainZero.Source);
        yield return (nameof(AlignPageSelectiveRange), AlignPageSelectiveRange.Value.ToString(), AlignPageSelectiveRange.Source);
        yield return (nameof(IommuGroups), IommuGroups.Value.Name, IommuGroups.Source);
        yield return (nameof(CachingModeForcesStrict), CachingModeForcesStrict.Value.ToString(), CachingModeForcesStrict.Source);
        yield return (nameof(VfioRmrr), VfioRmrr.Value.ToString(), VfioRmrr.Source);
        yield return (nameof(FaultLog), FaultLog.Value.ToString(), FaultLog.Source);
        yield return (nameof(SkipsHostBridgesInStaticIdentityMap), SkipsHostBridgesInStaticIdentityMap.Value.ToString(), SkipsHostBridgesInStaticIdentityMap.Source);
        yield return (nameof(LegacyWording), LegacyWording.Value.ToString(), LegacyWording.Source);
        yield return (nameof(DrhdSanityCheck), DrhdSanityCheck.Value.ToString(), DrhdSanityCheck.Source);
        yield return (nameof(SwiotlbPlacement), SwiotlbPlacement.Value.ToString(), SwiotlbPlacement.Source);
        yield return (nameof(PrivateDomains), PrivateDomains.Value.ToString(), PrivateDomains.Source);
        yield return (nameof(PlatformOptIn), PlatformOptIn.Value.ToString(), PlatformOptIn.Source);
        yield return (nameof(DefaultDomainLog), DefaultDomainLog.Value.ToString(), DefaultDomainLog.Source);
        yield return (nameof(TranslatedDmaOps), TranslatedDmaOps.Value.ToString(), TranslatedDmaOps.Source);
        yield return (nameof(SacTrickGivesUp), SacTrickGivesUp.Value.ToString(), SacTrickGivesUp.Source);
        yield return (nameof(DefaultDmaKconfig), DefaultDmaKconfig.Value.ToString(), DefaultDmaKconfig.Source);
        yield return (nameof(UntrustedBounce), UntrustedBounce.Value.ToString(), UntrustedBounce.Source);
        yield return (nameof(PolicyLinesTrailingSpace), PolicyLinesTrailingSpace.Value.ToString(), PolicyLinesTrailingSpace.Source);
        yield return (nameof(UntrustedStrict), UntrustedStrict.Value.ToString(), UntrustedStrict.Source);
        yield return (nameof(IdentityNeedsPassThroughUnit), IdentityNeedsPassThroughUnit.Value.ToString(), IdentityNeedsPassThroughUnit.Source);
        yield return (nameof(IntelOpsIovaFast), IntelOpsIovaFast.Value.ToString(), IntelOpsIovaFast.Source);
        yield return (nameof(IgdDmaMasks), IgdDmaMasks.Value.ToString(), IgdDmaMasks.Source);
        yield return (nameof(HotAddRaisesMaxPfn), HotAddRaisesMaxPfn.Value.ToString(), HotAddRaisesMaxPfn.Source);
        yield return (nameof(SwiotlbDynamic), SwiotlbDynamic.Value.ToString(), SwiotlbDynamic.Source);
        yield return (nameof(DefaultRelease), DefaultRelease.Value, DefaultRelease.Source);
    }
}
