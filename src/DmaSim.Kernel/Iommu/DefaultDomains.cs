using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel;

namespace DmaSim.Kernel.Iommu;

/// <summary>
/// Modern IOMMU core (drivers/iommu/iommu.c): every group gets a default domain at probe — identity
/// (hardware pass-through only) or DMA / DMA-FQ — and the DMA API follows from it: identity →
/// dma-direct, DMA → dma-iommu (iommu_setup_dma_ops). RMRRs become direct mappings.
/// </summary>
public static class DefaultDomains
{
    public static void Run(KernelContext k, IntelIommu iommu, IReadOnlyList<KernelDevice> devices, IDmaOps direct)
    {
        foreach (var u in iommu.Units) u.Hw.SetRootTable();
        iommu.Strict = k.Cmdline.Strict;
        var wantIdentity = k.Cmdline.PassThrough && !k.Cmdline.NoPassThrough;
        k.Log(wantIdentity
            ? "iommu: Default domain type: Passthrough (set via kernel command line)"
            : k.Cmdline.Strict ? "iommu: Default domain type: Translated" : "iommu: Default domain type: Translated");
        k.Log(k.Cmdline.Strict ? "iommu: DMA domain TLB invalidation policy: strict mode" : "iommu: DMA domain TLB invalidation policy: lazy mode");
        var dmaOps = new DmaIommuOps(k, iommu);
        var groups = new Dictionary<Bdf, DmarDomain>();
        var identity = iommu.InitSiDomain(hw: true);
        foreach (var dev in devices)
        {
            var unit = iommu.UnitFor(dev.Bdf);
            if (unit is null)
            {
                dev.Ops = direct;
                dev.Domain = DeviceDomain.None;
                continue;
            }
            // device_def_domain_type: a unit without ECAP.PT cannot do identity — DMA domain.
            var identityOk = wantIdentity && unit.Hw.SupportsPassThrough;
            var group = k.Pci.RequesterIdSeenByRootComplex(dev.Bdf);
            if (identityOk)
            {
                iommu.Attach(dev, identity, ContextTranslationType.PassThrough);
                dev.Ops = direct;
                dev.Domain = DeviceDomain.PassThrough;
                k.Events.Emit(new IommuDecisionEvent(dev.Name, "identity default domain", "iommu=pt and the unit has ECAP.PT", "drivers/iommu/iommu.c iommu_get_default_domain_type; intel device_def_domain_type"));
            }
            else
            {
                if (!groups.TryGetValue(group, out var domain))
                {
                    domain = iommu.NewDomain(DomainRole.Dma, [unit], withTables: true);
                    groups[group] = domain;
                }
                iommu.Attach(dev, domain, ContextTranslationType.MultiLevel);
                // iommu_create_device_direct_mappings: RMRRs (IOMMU_RESV_DIRECT[_RELAXABLE]) mapped 1:1.
                foreach (var r in iommu.RmrrsOf(dev.Bdf)) iommu.MapRmrr(dev, domain, r);
                dev.Ops = dmaOps;
                dev.Domain = DeviceDomain.Translated;
                k.Events.Emit(new IommuDecisionEvent(dev.Name, "DMA default domain",
                    wantIdentity ? "unit lacks ECAP.PT: no identity domain possible" : "default domain type is translated",
                    "drivers/iommu/intel/iommu.c device_def_domain_type; drivers/iommu/iommu.c iommu_subsys_init"));
            }
            k.Log($"pci {dev.PciName}: Adding to iommu group {GroupNumber(groups, group, identityOk)}");
        }
        foreach (var u in iommu.Units)
        {
            u.Hw.FlushContextGlobal();
            u.Hw.FlushIotlbGlobal();
            u.Hw.EnableTranslation();
        }
        k.Log("DMAR: Intel(R) Virtualization Technology for Directed I/O");
    }

    private static int GroupNumber(Dictionary<Bdf, DmarDomain> groups, Bdf group, bool identity) =>
        identity ? 0 : groups.Keys.ToList().IndexOf(group);
}
