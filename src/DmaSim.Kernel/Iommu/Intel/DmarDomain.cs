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

/// <summary>A DMA remapping domain (struct dmar_domain): page tables, IOVA space, devices, per-unit ids.</summary>
public sealed class DmarDomain
{
    public DmarDomain(int id, DomainRole role, DmaPageTable? table, int agaw, IovaDomain? iova)
    {
        Id = id;
        Role = role;
        Table = table;
        Agaw = agaw;
        Iova = iova;
    }

    public int Id { get; }
    public DomainRole Role { get; }

    /// <summary>Second-level tables; null for a hardware pass-through domain.</summary>
    public DmaPageTable? Table { get; }
    public int Agaw { get; }
    public IovaDomain? Iova { get; }
    public Dictionary<DmarUnit, ushort> Dids { get; } = [];

    /// <summary>A DMA domain of the requested type IOMMU_DOMAIN_DMA, never upgraded to DMA-FQ: its unmaps invalidate at once whatever the default policy.</summary>
    public bool Strict { get; set; }
    public HashSet<KernelDevice> Devices { get; } = [];

    /// <summary>Address width of the domain: 30 + 9·agaw (agaw_to_width).</summary>
    public int Width => 30 + (9 * Agaw);
    public ulong MaxAddress => DmaMask.Bits(Width);
}

/// <summary>What a domain is for.</summary>
public enum DomainRole
{
    /// <summary>si_domain: the static identity domain shared by every identity device.</summary>
    StaticIdentity,
    /// <summary>A private DMA domain of one device (or one bridge group).</summary>
    Dma,
}
