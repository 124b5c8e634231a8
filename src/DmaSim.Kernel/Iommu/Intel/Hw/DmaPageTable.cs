using System.Globalization;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Kernel.Iommu.Intel.Hw;

/// <summary>Why a map request was refused.</summary>
public enum MapStatus
{
    Ok,
    /// <summary>The range reaches beyond the domain's address width (2.6.32 BUG_ON, modern -EINVAL).</summary>
    BeyondDomainWidth,
    /// <summary>Neither read nor write requested (Linux <c>__domain_mapping</c>: -EINVAL).</summary>
    NoPermission,
    /// <summary>A table page could not be had (<c>pfn_to_dma_pte</c> → alloc_pgtable_page NULL: -ENOMEM); what was mapped stays.</summary>
    OutOfMemory,
}

/// <summary>Thrown by a table-page allocator that has no page left; <see cref="DmaPageTable.Map"/> turns it into <see cref="MapStatus.OutOfMemory"/>.</summary>
public sealed class TablePagesExhaustedException(string message) : InvalidOperationException(message);

/// <summary>A PTE that was already set when the driver tried to map over it (Linux cmpxchg from 0 failed).</summary>
public readonly record struct PteConflict(ulong IovaPfn, ulong Existing, ulong Wanted)
{
    /// <summary>The kernel's message (<c>__domain_mapping</c>).</summary>
    public string LinuxMessage => string.Create(CultureInfo.InvariantCulture,
        $"ERROR: DMA PTE for vPFN 0x{IovaPfn:x} already set (to {Existing:x} not {Wanted:x})");
}

/// <summary>Result of <see cref="DmaPageTable.Map"/>: conflicting pages were left untouched, the rest mapped.</summary>
public readonly record struct MapResult(MapStatus Status, ulong PagesMapped, IReadOnlyList<PteConflict> Conflicts)
{
    public bool HasConflicts => Conflicts.Count != 0;
}

/// <summary>Result of <see cref="DmaPageTable.Unmap"/>: 4 KiB pages whose translation was removed and the table pages freed.</summary>
public readonly record struct UnmapResult(ulong PagesCleared, IReadOnlyList<PhysAddr> FreedTables);

/// <summary>What the tables say about one IOVA page.</summary>
public readonly record struct PteLookup(bool Present, ulong Pte, int Level, ulong PhysPfn)
{
    public bool Read => (Pte & VtdSlPte.Read) != 0;
    public bool Write => (Pte & VtdSlPte.Write) != 0;
}

/// <summary>
/// One domain's second-level page tables, written as real PTEs into simulated memory (Linux
/// <c>dmar_domain.pgd</c> with <c>pfn_to_dma_pte</c>, <c>__domain_mapping</c>, <c>dma_pte_clear_range</c>,
/// <c>dma_pte_free_pagetable</c>). Intermediate entries are table | R | W; leaves are page | R/W (| PS).
/// </summary>
public sealed class DmaPageTable
{
    private readonly PhysicalMemory _memory;
    // The walks' reads (pfn_to_dma_pte, iova_to_phys, the one-page clear): the same bytes, one load per level.
    private readonly TableWalkReader _tables;
    private readonly Func<PhysAddr> _alloc;
    private readonly Action<PhysAddr> _free;
    private readonly Func<int, PhysAddr?>? _allocRun;
    private readonly int _maxSuperpageLevel;
    private const ulong GigabytePages = 1UL << (2 * VtdSlPte.LevelStride);

    /// <param name="memory">Simulated physical memory the tables live in.</param>
    /// <param name="agaw">Domain agaw: 1 = 39-bit/3-level, 2 = 48-bit/4-level, 3 = 57-bit/5-level.</param>
    /// <param name="allocZeroedTablePage">Returns a zeroed, 4 KiB-aligned page for a table.</param>
    /// <param name="freeTablePage">Takes back a table page that is no longer used.</param>
    /// <param name="maxSuperpageLevel">Highest leaf level allowed when superpages are requested: 2 = 2 MiB, 3 = 1 GiB
    /// (modern <c>domain_super_pgsize_bitmap</c> from CAP.SLLPS; 2.6.32 had no superpages).</param>
    /// <param name="allocTableRun">Returns 2^order contiguous pages (any contents: every word is written), each later freed alone with
    /// <paramref name="freeTablePage"/> (the pages a run of single-page allocations from a fresh block gives),
    /// or null. When given, a whole 1 GiB of 4 KiB mappings costs one table and one run of 512 leaf tables kept
    /// as their rule (<see cref="PhysicalMemory.FillWithPfnSequence"/>) until something writes to them.</param>
    public DmaPageTable(PhysicalMemory memory, int agaw, Func<PhysAddr> allocZeroedTablePage, Action<PhysAddr> freeTablePage, int maxSuperpageLevel = 3,
        Func<int, PhysAddr?>? allocTableRun = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(allocZeroedTablePage);
        ArgumentNullException.ThrowIfNull(freeTablePage);
        if (agaw is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(agaw), agaw, "agaw 1..3 (3- to 5-level tables)");
        _memory = memory;
        _tables = new TableWalkReader(memory);
        _alloc = allocZeroedTablePage;
        _free = freeTablePage;
        _allocRun = allocTableRun;
        _maxSuperpageLevel = Math.Clamp(maxSuperpageLevel, 1, 3);
        Agaw = agaw;
        Levels = VtdWidth.AgawToLevels(agaw);
        WidthBits = VtdWidth.AgawToWidth(agaw);
        MaxPfn = (1UL << (WidthBits - 12)) - 1;
        try
        {
            Root = NewTable();
        }
        catch (TablePagesExhaustedException)
        {
            // Not one page left for a new domain's top table: all RAM is in use (a firmware RMRR's identity map
            // took it), and the real machine ends in the OOM killer's panic (mm/oom_kill.c out_of_memory) [R].
            throw new KernelPanicException("Out of memory and no killable processes...");
        }
    }

    public int Agaw { get; }
    public int Levels { get; }
    public int WidthBits { get; }
    /// <summary>Highest IOVA page frame the domain can map.</summary>
    public ulong MaxPfn { get; }
    /// <summary>Top-level table (the context entry's SLPTPTR).</summary>
    public PhysAddr Root { get; private set; }
    /// <summary>Table pages currently allocated, root included.</summary>
    public int TablePages { get; private set; }

    private PhysAddr NewTable()
    {
        var page = _alloc();
        if (page.PageOffset != 0) throw new InvalidOperationException("page-table pages must be 4 KiB aligned");
        TablePages++;
        _tables.BeginWalk(); // the allocator may have discarded pages
        return page;
    }

    private void FreeTable(PhysAddr page)
    {
        TablePages--;
        _free(page);
    }

    private static int Shift(int level) => VtdSlPte.LevelStride * (level - 1);

    private static uint EntryOffset(ulong pfn, int level) => 8 * (uint)((pfn >> Shift(level)) & 0x1FF);

    private static PhysAddr NextTable(ulong pte) => new(pte & VtdSlPte.Address.Mask);

    /// <summary>
    /// Maps <paramref name="pages"/> pages. Each PTE is set only if it was 0 (Linux cmpxchg64 from 0); a set PTE
    /// is reported as a <see cref="PteConflict"/> and left alone, and mapping continues.
    /// </summary>
    public MapResult Map(IovaPfn iova, PhysPfn phys, ulong pages, bool read, bool write, bool allowSuperpages = false)
    {
        var (iovaPfn, physPfn) = (iova.Value, phys.Value);
        ulong mapped = 0;
        List<PteConflict>? conflicts = null;
        try
        {
            return MapPages(iovaPfn, physPfn, pages, read, write, allowSuperpages, ref mapped, ref conflicts);
        }
        catch (TablePagesExhaustedException)
        {
            // __domain_mapping returns -ENOMEM where the walk could not allocate; the PTEs written so far stay.
            return new MapResult(MapStatus.OutOfMemory, mapped, conflicts is null ? Array.Empty<PteConflict>() : conflicts);
        }
    }

    private MapResult MapPages(ulong iovaPfn, ulong physPfn, ulong pages, bool read, bool write, bool allowSuperpages, ref ulong mapped, ref List<PteConflict>? conflicts)
    {
        if (!read && !write) return new MapResult(MapStatus.NoPermission, 0, []);
        if (pages == 0) return new MapResult(MapStatus.Ok, 0, []);
        if (iovaPfn > MaxPfn || pages - 1 > MaxPfn - iovaPfn) return new MapResult(MapStatus.BeyondDomainWidth, 0, []);
        var prot = (read ? VtdSlPte.Read : 0) | (write ? VtdSlPte.Write : 0);
        while (pages > 0)
        {
            var level = allowSuperpages ? LargestLevel(iovaPfn, physPfn, pages) : 1;
            if (level == 1 && pages >= GigabytePages && (iovaPfn & (GigabytePages - 1)) == 0 && MapGigabyteAsSequence(iovaPfn, physPfn, prot))
            {
                iovaPfn += GigabytePages;
                physPfn += GigabytePages;
                pages -= GigabytePages;
                mapped += GigabytePages;
                continue;
            }
            var span = 1UL << Shift(level);
            var wanted = (physPfn << 12) | prot | (level > 1 ? VtdSlPte.PageSize : 0);
            var slot = Slot(iovaPfn, level, out var blockingLeaf);
            if (slot is null && level > 1)
            {
                // A lower-level table already covers this range: map it with smaller pages instead
                // (modern switch_to_super_page would free those tables; not modelled).
                level = 1;
                span = 1;
                wanted = (physPfn << 12) | prot;
                slot = Slot(iovaPfn, 1, out blockingLeaf);
            }
            if (level == 1 && slot is { } leaf)
            {
                // 4 KiB leaves: fill the rest of this leaf table without walking from the root again
                // (the same entries a per-page walk would write; identity maps of all RAM are millions).
                var run = Math.Min(pages, 512 - (iovaPfn & 511));
                for (ulong i = 0; i < run; i++)
                {
                    var at = leaf.Add(i * 8);
                    var want = ((physPfn + i) << 12) | prot;
                    var old = _memory.ReadU64(at);
                    if (old != 0) (conflicts ??= []).Add(new PteConflict(iovaPfn + i, old, want));
                    else
                    {
                        _memory.WriteU64(at, want);
                        mapped++;
                    }
                }
                iovaPfn += run;
                physPfn += run;
                pages -= run;
                continue;
            }
            var existing = slot is { } s ? _memory.ReadU64(s) : blockingLeaf;
            if (existing != 0)
            {
                (conflicts ??= []).Add(new PteConflict(iovaPfn, existing, wanted));
            }
            else
            {
                _memory.WriteU64(slot!.Value, wanted);
                mapped += span;
            }
            iovaPfn += span;
            physPfn += span;
            pages -= span;
        }
        return new MapResult(MapStatus.Ok, mapped, conflicts is null ? Array.Empty<PteConflict>() : conflicts); // not [] : that would be a new List per call
    }

    /// <summary>
    /// 1 GiB of 4 KiB PTEs under an empty level-3 entry, written as <c>__domain_mapping</c> writes them (a
    /// level-2 table, then 512 leaf tables of consecutive frames, every PTE set) but with the leaf tables and
    /// the level-2 table kept as pfn sequences: same bytes to every reader, no host memory until written.
    /// False (nothing mapped) when the entry is not empty or the tables cannot be had in one run; the caller
    /// then maps page by page, which reports conflicts as the kernel does.
    /// </summary>
    private bool MapGigabyteAsSequence(ulong iovaPfn, ulong physPfn, ulong prot)
    {
        if (_allocRun is null || Levels < 3) return false;
        if (Slot(iovaPfn, 3, out _) is not { } entry || _memory.ReadU64(entry) != 0) return false;
        // The leaves first, then their table: the kernel takes the table first, but one page between every
        // two runs would leave a hole in each 2 MiB block and split the owner map into a run per GiB.
        if (_allocRun(VtdSlPte.LevelStride) is not { } leaves) return false;
        if (leaves.PageOffset != 0) throw new InvalidOperationException("page-table pages must be 4 KiB aligned");
        TablePages += VtdSlPte.EntriesPerTable;
        var directory = NewTable();
        _memory.WriteU64(entry, directory.Value | VtdSlPte.Read | VtdSlPte.Write);
        _memory.FillWithPfnSequence(leaves, VtdSlPte.EntriesPerTable, physPfn, prot);
        _memory.FillWithPfnSequence(directory, 1, leaves.Pfn, VtdSlPte.Read | VtdSlPte.Write);
        return true;
    }

    /// <summary>Modern <c>hardware_largepage_caps</c>: the largest level both pfns are aligned to with enough pages left.</summary>
    private int LargestLevel(ulong iovaPfn, ulong physPfn, ulong pages)
    {
        var top = Math.Min(_maxSuperpageLevel, Levels - 1);
        for (var level = top; level > 1; level--)
        {
            var span = 1UL << Shift(level);
            if (((iovaPfn | physPfn) & (span - 1)) == 0 && pages >= span) return level;
        }
        return 1;
    }

    /// <summary>
    /// Linux <c>pfn_to_dma_pte</c>: walk to the entry at <paramref name="targetLevel"/>, allocating missing tables.
    /// Returns null if a leaf (superpage) above the target blocks the walk (its value in <paramref name="blockingLeaf"/>),
    /// or, for a superpage target, if the target slot already holds a table.
    /// </summary>
    private PhysAddr? Slot(ulong iovaPfn, int targetLevel, out ulong blockingLeaf)
    {
        blockingLeaf = 0;
        var table = Root;
        _tables.BeginWalk();
        for (var level = Levels; ; level--)
        {
            var offset = EntryOffset(iovaPfn, level);
            var entry = table.Add(offset);
            if (level == targetLevel)
            {
                var current = _tables.Read(level, table.Value, offset);
                if (level > 1 && current != 0 && (current & VtdSlPte.PageSize) == 0) return null;
                return entry;
            }
            var pte = _tables.Read(level, table.Value, offset);
            if (pte == 0)
            {
                var next = NewTable();
                pte = next.Value | VtdSlPte.Read | VtdSlPte.Write;
                _memory.WriteU64(entry, pte);
            }
            else if ((pte & VtdSlPte.PageSize) != 0)
            {
                blockingLeaf = pte;
                return null;
            }
            table = NextTable(pte);
        }
    }

    /// <summary>
    /// Clears every PTE of the range (a superpage partly inside the range is cleared whole, as modern
    /// <c>intel_iommu_unmap</c> does), then frees each table page that has become empty. The root is kept.
    /// </summary>
    public UnmapResult Unmap(ulong iovaPfn, ulong pages)
    {
        if (pages == 0 || iovaPfn > MaxPfn) return new UnmapResult(0, []);
        var last = pages - 1 > MaxPfn - iovaPfn ? MaxPfn : iovaPfn + pages - 1;
        if (last == iovaPfn) return new UnmapResult(ClearOne(iovaPfn), Array.Empty<PhysAddr>());
        List<PhysAddr>? freed = null;
        ulong cleared = 0;
        ClearRange(Root, Levels, iovaPfn, last, 0, ref cleared, ref freed);
        return new UnmapResult(cleared, freed is null ? Array.Empty<PhysAddr>() : freed); // not [] : that would be a new List per call
    }

    /// <summary>
    /// <see cref="ClearRange"/> for one page, as a loop: one page never covers a whole lower table, so no table
    /// is freed; the leaf (a 4 KiB PTE, or a superpage cleared whole) is zeroed. Returns the pages cleared.
    /// </summary>
    private ulong ClearOne(ulong iovaPfn)
    {
        var table = Root;
        _tables.BeginWalk();
        for (var level = Levels; ; level--)
        {
            var offset = EntryOffset(iovaPfn, level);
            var pte = _tables.Read(level, table.Value, offset);
            var entry = table.Add(offset);
            if (pte == 0) return 0;
            if (level == 1 || (pte & VtdSlPte.PageSize) != 0)
            {
                _memory.WriteU64(entry, 0);
                return 1UL << Shift(level);
            }
            table = NextTable(pte);
        }
    }

    private void ClearRange(PhysAddr table, int level, ulong first, ulong last, ulong tableBase, ref ulong cleared, ref List<PhysAddr>? freed)
    {
        var shift = Shift(level);
        var firstIndex = (int)((first - tableBase) >> shift);
        var lastIndex = (int)((last - tableBase) >> shift);
        if (level == 1 && firstIndex == 0 && lastIndex == VtdSlPte.EntriesPerTable - 1)
        {
            // Every PTE of the leaf table goes: the same as 512 zero writes, without materialising a
            // table that an identity map kept as its rule.
            cleared += (ulong)_memory.NonZeroWords(table);
            _memory.Discard(table.Pfn);
            return;
        }
        for (var i = firstIndex; i <= lastIndex; i++)
        {
            var entry = table.Add(8UL * (uint)i);
            var pte = _memory.ReadU64(entry);
            if (pte == 0) continue;
            var entryBase = tableBase + ((ulong)i << shift);
            if (level == 1 || (pte & VtdSlPte.PageSize) != 0)
            {
                _memory.WriteU64(entry, 0);
                cleared += 1UL << shift;
                continue;
            }
            var child = NextTable(pte);
            var entryLast = entryBase + (1UL << shift) - 1;
            ClearRange(child, level - 1, Math.Max(first, entryBase), Math.Min(last, entryLast), entryBase, ref cleared, ref freed);
            // dma_pte_free_pagetable / dma_pte_clear_level: a lower table is freed only when the unmapped
            // range covers all of it; a partly covered table stays, even if it became empty.
            if (first <= entryBase && last >= entryLast)
            {
                _memory.WriteU64(entry, 0);
                FreeTable(child);
                (freed ??= []).Add(child);
            }
        }
    }

    private bool IsEmpty(PhysAddr table)
    {
        for (var i = 0; i < VtdSlPte.EntriesPerTable; i++)
            if (_memory.ReadU64(table.Add(8UL * (uint)i)) != 0) return false;
        return true;
    }

    /// <summary>Reads the leaf for one IOVA page frame, as the hardware would find it (no permission checks).</summary>
    public PteLookup Lookup(ulong iovaPfn)
    {
        if (iovaPfn > MaxPfn) return default;
        var table = Root;
        _tables.BeginWalk();
        for (var level = Levels; level >= 1; level--)
        {
            var pte = _tables.Read(level, table.Value, EntryOffset(iovaPfn, level));
            if (!VtdSlPte.IsPresent(pte)) return new PteLookup(false, pte, level, 0);
            if (level == 1 || (pte & VtdSlPte.PageSize) != 0)
            {
                var span = 1UL << Shift(level);
                return new PteLookup(true, pte, level, (NextTable(pte).Pfn & ~(span - 1)) + (iovaPfn & (span - 1)));
            }
            table = NextTable(pte);
        }
        return default;
    }

    /// <summary>
    /// <see cref="Lookup"/>, then, when the leaf is present, <see cref="Unmap"/> of that one page in the same walk
    /// (the leaf zeroed; a superpage whole): what iommu_iova_to_phys followed by a one-page iommu_unmap leaves.
    /// </summary>
    public PteLookup LookupAndClear(ulong iovaPfn)
    {
        if (iovaPfn > MaxPfn) return default;
        var table = Root;
        _tables.BeginWalk();
        for (var level = Levels; level >= 1; level--)
        {
            var offset = EntryOffset(iovaPfn, level);
            var pte = _tables.Read(level, table.Value, offset);
            if (!VtdSlPte.IsPresent(pte)) return new PteLookup(false, pte, level, 0);
            if (level == 1 || (pte & VtdSlPte.PageSize) != 0)
            {
                _memory.WriteU64(table.Add(offset), 0);
                var span = 1UL << Shift(level);
                return new PteLookup(true, pte, level, (NextTable(pte).Pfn & ~(span - 1)) + (iovaPfn & (span - 1)));
            }
            table = NextTable(pte);
        }
        return default;
    }

    /// <summary>
    /// Linux <c>domain_context_mapping_one</c> for a unit with a smaller agaw than the domain: skip the top levels
    /// through entry 0. Returns null (the kernel's -ENOMEM) when an intermediate entry is missing.
    /// </summary>
    public PhysAddr? RootForAgaw(int unitAgaw)
    {
        var table = Root;
        for (var agaw = Agaw; agaw > unitAgaw; agaw--)
        {
            var pte = _memory.ReadU64(table);
            if (!VtdSlPte.IsPresent(pte)) return null;
            table = NextTable(pte);
        }
        return table;
    }

    /// <summary>Linux <c>domain_exit</c>: free every table page including the root.</summary>
    public void Destroy()
    {
        if (Root.Value == 0) return;
        FreeAll(Root, Levels);
        Root = default;
    }

    private void FreeAll(PhysAddr table, int level)
    {
        if (level > 1)
        {
            for (var i = 0; i < VtdSlPte.EntriesPerTable; i++)
            {
                var pte = _memory.ReadU64(table.Add(8UL * (uint)i));
                if (pte != 0 && (pte & VtdSlPte.PageSize) == 0) FreeAll(NextTable(pte), level - 1);
            }
        }
        FreeTable(table);
    }
}
