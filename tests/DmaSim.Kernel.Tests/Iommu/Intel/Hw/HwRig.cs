using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd;
using DmaSim.Kernel.Iommu.Intel.Hw;

namespace DmaSim.Kernel.Tests.Iommu.Intel.Hw;

/// <summary>
/// Table-page allocator for tests: bump allocation from a region, zeroed, with a record of frees; with
/// <c>reuseFreed</c> the last freed page is handed out first, as the buddy allocator's per-CPU lists do.
/// </summary>
internal sealed class TablePages
{
    private readonly PhysicalMemory _memory;
    private readonly bool _reuseFreed;
    private ulong _next;
    private readonly HashSet<ulong> _live = [];
    private readonly Stack<PhysAddr> _reusable = new();

    public TablePages(PhysicalMemory memory, ulong start = 0x4000_0000, bool reuseFreed = false)
    {
        _memory = memory;
        _next = start;
        _reuseFreed = reuseFreed;
    }

    public List<PhysAddr> Freed { get; } = [];
    public int Live => _live.Count;

    public PhysAddr Alloc()
    {
        PhysAddr p;
        if (_reuseFreed && _reusable.Count > 0) p = _reusable.Pop();
        else
        {
            p = new PhysAddr(_next);
            _next += 0x1000;
        }
        _memory.Fill(p, 0x1000, 0);
        _live.Add(p.Value);
        return p;
    }

    /// <summary>2^order contiguous pages, naturally aligned, each freed alone (not zeroed: the caller writes them whole).</summary>
    public PhysAddr? AllocRun(int order)
    {
        var bytes = 0x1000UL << order;
        _next = (_next + bytes - 1) & ~(bytes - 1);
        var p = new PhysAddr(_next);
        _next += bytes;
        for (var a = p.Value; a < p.Value + bytes; a += 0x1000) _live.Add(a);
        return p;
    }

    public void Free(PhysAddr p)
    {
        if (!_live.Remove(p.Value)) throw new InvalidOperationException($"double or foreign free of {p}");
        Freed.Add(p);
        if (_reuseFreed) _reusable.Push(p);
    }
}

/// <summary>Memory + unit + driver, wired the way the kernel model will wire them.</summary>
internal sealed class HwRig
{
    public HwRig(VtdUnitConfig? config = null, IntelIommuDriverOptions? options = null)
    {
        Events = new EventStream(new SimClock());
        Memory = new PhysicalMemory(40);
        Pages = new TablePages(Memory);
        Unit = new VtdUnit(Memory, config ?? VtdUnitConfig.Qemu48(), Events);
        Driver = new IntelIommuUnitDriver(Unit, Memory, Pages.Alloc, Pages.Free, options);
    }

    public EventStream Events { get; }
    public PhysicalMemory Memory { get; }
    public TablePages Pages { get; }
    public VtdUnit Unit { get; }
    public IntelIommuUnitDriver Driver { get; }

    /// <summary>Linux init_dmars order: QI, root entry, global context + IOTLB flush, translation on.</summary>
    public HwRig Boot()
    {
        Driver.EnableQueuedInvalidation();
        Driver.SetRootTable();
        Driver.FlushContextGlobal();
        Driver.FlushIotlbGlobal();
        Driver.EnableTranslation();
        Driver.DisableProtectedMemoryRegions();
        return this;
    }

    public DmaPageTable NewDomain(int agaw) => new(Memory, agaw, Pages.Alloc, Pages.Free);
}
