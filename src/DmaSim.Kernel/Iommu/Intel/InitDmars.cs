using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// init_dmars of 2.6.31 – 3.x (drivers/pci/intel-iommu.c): root tables, the pass-through / identity
/// decision, si_domain, RMRR identity maps, then translation on. Order as in the source: static
/// identity domain → RMRR devices → enable.
/// </summary>
public static class InitDmars
{

    public static void Run(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> devices)
    {
        var p = k.Profile;
        foreach (var u in iommu.ActiveUnits) u.Hw.SetRootTable();

        var passThroughRequested = k.Cmdline.PassThrough;
        // hw_pass_through starts at 1 and is cleared by any unit without ECAP.PT.
        iommu.HwPassThrough = iommu.ActiveUnits.All(u => u.Hw.SupportsPassThrough);
        iommu.Strict = k.Cmdline.Strict || p.DefaultInvalidation.Value == InvalidationMode.Strict;

        if (p.IdentityMapping.Value == IdentityMapping.PassThroughContextsOnly)
        {
            RunPassThrough2631(k, iommu, devices, passThroughRequested);
            return;
        }

        if (passThroughRequested) iommu.IdentMapAll = true;
        iommu.IdentMapGfx = IdentMapGfx.Applies(k);
        // if (iommu_identity_mapping): si_domain and the static identity map for IDENTMAP_ALL or IDENTMAP_GFX alike.
        if (iommu.IdentMapAll || iommu.IdentMapGfx)
        {
            var hw = iommu.HwPassThrough;
            var si = iommu.InitSiDomain(hw);
            k.Note(hw ? "si_domain uses hardware pass-through (every unit has ECAP.PT)" : "si_domain is software pass-through: every RAM range mapped 1:1");
            var ops = new IntelDmaOps(k, iommu);
            // A dummy device (its unit ignored) has no IOMMU: domain_add_dev_info fails with -ENODEV, which the 4.19
            // loop swallows before its "identity mapping for device" line (2.6.32 printed first; not modelled).
            foreach (var dev in devices.Where(d => !iommu.IsDummy(d.Bdf)))
            {
                // IS_BRIDGE_HOST_DEVICE: (pdev->class >> 8) == PCI_CLASS_BRIDGE_HOST.
                if (p.SkipsHostBridgesInStaticIdentityMap.Value && dev.Pci.ClassCode >> 8 == 0x0600)
                {
                    k.Events.Emit(new IommuDecisionEvent(dev.Name, "not identity at boot", "host bridge skipped", p.SkipsHostBridgesInStaticIdentityMap.Source));
                    continue;
                }
                var v = IdentityPolicy.Decide(p, ops.Inputs(dev), startup: true, ops.Release);
                if (!v.Identity)
                {
                    k.Events.Emit(new IommuDecisionEvent(dev.Name, "not identity at boot", v.Reason, v.Source));
                    continue;
                }
                // iommu_prepare_static_identity_mapping prints one line per device it adds.
                Boot.BootLog.StaticIdentityMapping(k, hw, dev.PciName);
                if (iommu.Attach(dev, si, hw ? ContextTranslationType.PassThrough : ContextTranslationType.MultiLevel))
                {
                    dev.Domain = hw ? DeviceDomain.PassThrough : DeviceDomain.Identity;
                    k.Events.Emit(new IommuDecisionEvent(dev.Name, hw ? "si_domain (hardware pass-through)" : "si_domain (software identity)", v.Reason, v.Source));
                }
            }
        }

        // RMRRs: iommu_prepare_rmrr_dev for every device in every RMRR scope.
        Boot.BootLog.SettingRmrr(k);
        foreach (var rmrr in iommu.Dmar.Rmrrs)
        {
            foreach (var scoped in rmrr.Devices)
            {
                var dev = devices.FirstOrDefault(d => d.Bdf == scoped.Bdf);
                // iommu_prepare_rmrr_dev returns at once for a dummy device (2.6.32); later, get_domain_for_dev fails
                // before domain_prepare_identity_map prints (4.19): either way no line and no map.
                if (dev is null || iommu.IsDummy(dev.Bdf)) continue;
                PrepareIdentityMap(k, iommu, dev, rmrr);
            }
        }
        PrepareIsa(k, iommu, devices);

        foreach (var u in iommu.ActiveUnits)
        {
            u.Hw.FlushContextGlobal();
            u.Hw.FlushIotlbGlobal();
            u.Hw.EnableTranslation();
        }
        k.Log(Boot.BootLog.Dialect(k).VtdBanner());
    }

    /// <summary>
    /// iommu_prepare_isa, the floppy workaround (CONFIG_DMAR_FLOPPY_WA / CONFIG_INTEL_IOMMU_FLOPPY_WA, def_bool y
    /// on x86): right after the RMRR loop, pci_get_class(PCI_CLASS_BRIDGE_ISA &lt;&lt; 8) — the first function, in
    /// bus order, whose class is exactly 0x060100 — gets 0–16 MiB identity-mapped like an RMRR
    /// (drivers/pci/intel-iommu.c init_dmars, 2.6.31 – 3.0, where 2.6.31 runs it only without pass-through;
    /// drivers/iommu/intel-iommu.c to 5.2; "iommu/vt-d: Remove static identity map code", 5.3, replaced it with
    /// a reserved region that prints nothing). The map's line follows the RMRR lines' wording and end.
    /// </summary>
    private static void PrepareIsa(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> devices)
    {
        var isa = devices.Where(d => d.Pci.ClassCode == 0x060100).MinBy(d => d.Bdf);
        if (isa is null) return;
        Boot.BootLog.LpcUnityMap(k);
        PrepareIdentityMap(k, iommu, isa, new RmrrInfo(new PhysRange(0, 16 * Sizes.MiB - 1), 0, [], -1));
    }

    /// <summary>iommu_prepare_identity_map (2.6.32).</summary>
    private static void PrepareIdentityMap(KernelContext k, IntelIommu iommu, KernelDevice dev, RmrrInfo rmrr)
    {
        var start = rmrr.Range.Start.Value;
        var end = rmrr.Range.End.Value + 1;
        var domain = iommu.DomainOf(dev);
        if (domain is not null && domain == iommu.SiDomain && iommu.HwPassThrough)
        {
            Boot.BootLog.IgnoringIdentityMap(k, dev.PciName, start, end - 1);
            return;
        }
        Boot.BootLog.IdentityMap(k, dev.PciName, start, end - 1);
        if (end <= start)
        {
            k.Log("Your BIOS is broken; RMRR ends before it starts!");
            k.Log(iommu.MappingReservedRegionFailed);
            return;
        }
        domain ??= iommu.GetValidDomainForDev(dev);
        if (domain is null) return;
        iommu.MapRmrr(dev, domain, rmrr);
        if (domain != iommu.SiDomain) dev.Domain = DeviceDomain.Translated;
    }

    /// <summary>
    /// 2.6.31 with iommu=pt: every device gets a pass-through context entry and the DMA API goes through
    /// swiotlb (4ed0d3e6c64c "Intel IOMMU Pass Through Support"). Without iommu=pt every device is
    /// translated through intel_dma_ops.
    /// </summary>
    private static void RunPassThrough2631(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> devices, bool passThrough)
    {
        if (passThrough && !iommu.HwPassThrough)
        {
            k.Log("IOMMU: Pass Through is not supported by hardware");
            passThrough = false;
        }
        if (passThrough)
        {
            var pt = iommu.InitSiDomain(hw: true);
            foreach (var dev in devices)
            {
                if (iommu.Attach(dev, pt, ContextTranslationType.PassThrough)) dev.Domain = DeviceDomain.PassThrough;
                k.Events.Emit(new IommuDecisionEvent(dev.Name, "pass-through context", "iommu=pt: every device passes through", "4ed0d3e6c64c init_context_pass_through"));
            }
        }
        else
        {
            foreach (var rmrr in iommu.Dmar.Rmrrs)
                foreach (var s in rmrr.Devices)
                    if (devices.FirstOrDefault(d => d.Bdf == s.Bdf) is { } dev && !iommu.IsDummy(dev.Bdf)) PrepareIdentityMap(k, iommu, dev, rmrr);
            PrepareIsa(k, iommu, devices);
        }
        foreach (var u in iommu.ActiveUnits)
        {
            u.Hw.FlushContextGlobal();
            u.Hw.FlushIotlbGlobal();
            u.Hw.EnableTranslation();
        }
        k.Log(Boot.BootLog.Dialect(k).VtdBanner());
    }
}
