using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Iommu.Iova;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>The kernel's struct intel_iommu for one DRHD: the unit driver plus the kernel's bookkeeping.</summary>
public sealed class DmarUnit
{
    private readonly HashSet<ushort> _usedDids = [];

    public DmarUnit(int index, DrhdInfo drhd, IntelIommuUnitDriver hw)
    {
        Index = index;
        Drhd = drhd;
        Hw = hw;
    }

    /// <summary>"dmar0", "dmar1", … (drivers/iommu/intel/dmar.c alloc_iommu).</summary>
    public string Name => "dmar" + Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public int Index { get; }
    public DrhdInfo Drhd { get; }
    public IntelIommuUnitDriver Hw { get; }

    /// <summary>drhd->ignored (init_no_remapping_devices): the kernel never enables it, and a device of its scope is a dummy device.</summary>
    public bool Ignored { get; internal set; }

    /// <summary>drhd->gfx_dedicated: every present device of the scope is a display function.</summary>
    public bool GfxDedicated { get; internal set; }

    /// <summary>
    /// Allocates a domain id: first free bit of the unit's bitmap (iommu_alloc_domain, 2.6.32); id 0 is
    /// reserved in caching mode, and modern kernels start at IDA_START_DID.
    /// </summary>
    public ushort AllocDid(ushort first)
    {
        for (var d = first; d < ushort.MaxValue; d++)
            if (_usedDids.Add(d)) return d;
        throw new InvalidOperationException($"{Name}: out of domain ids");
    }

    public void FreeDid(ushort did) => _usedDids.Remove(did);
}

/// <summary>
/// A DMA remapping domain (struct dmar_domain): page tables, devices, per-unit ids. Two kinds:
/// <see cref="IdentityDomain"/> (si_domain, tables only for software pass-through) and <see cref="DmaDomain"/>
/// (tables and an IOVA space, always both).
/// </summary>
public abstract class DmarDomain
{
    private protected DmarDomain(int id, int agaw)
    {
        Id = id;
        Agaw = agaw;
    }

    public int Id { get; }
    public abstract DomainRole Role { get; }

    /// <summary>Second-level tables; null for a hardware pass-through domain.</summary>
    public abstract DmaPageTable? Table { get; }
    public int Agaw { get; }
    public Dictionary<DmarUnit, ushort> Dids { get; } = [];

    /// <summary>A DMA domain of the requested type IOMMU_DOMAIN_DMA, never upgraded to DMA-FQ: its unmaps invalidate at once whatever the default policy.</summary>
    public bool Strict { get; set; }
    public HashSet<KernelDevice> Devices { get; } = [];

    /// <summary>Address width of the domain: 30 + 9·agaw (agaw_to_width).</summary>
    public int Width => 30 + (9 * Agaw);
    public ulong MaxAddress => DmaMask.Bits(Width);
}

/// <summary>si_domain: the static identity domain; software 1:1 tables, or none under hardware pass-through.</summary>
public sealed class IdentityDomain(int id, DmaPageTable? table, int agaw) : DmarDomain(id, agaw)
{
    public override DomainRole Role => DomainRole.StaticIdentity;
    public override DmaPageTable? Table { get; } = table;
}

/// <summary>A translating domain: page tables and the IOVA space the DMA API allocates from.</summary>
public sealed class DmaDomain(int id, DmaPageTable table, int agaw, IovaDomain iova) : DmarDomain(id, agaw)
{
    public override DomainRole Role => DomainRole.Dma;
    public override DmaPageTable Table { get; } = table;
    public IovaDomain Iova { get; } = iova;
}

/// <summary>What a domain is for.</summary>
public enum DomainRole
{
    /// <summary>si_domain: the static identity domain shared by every identity device.</summary>
    StaticIdentity,
    /// <summary>A private DMA domain of one device (or one bridge group).</summary>
    Dma,
}
