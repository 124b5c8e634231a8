using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel.Hw;

namespace DmaSim.Kernel.Tests.Iommu.Intel.Hw;

/// <summary>
/// The page table's walks read their tables through per-level memos of the table pages' host arrays
/// (<see cref="TableWalkReader"/>). Table pages freed by an unmap and handed out again by the allocator (zeroed,
/// so their host arrays leave the page map) must read as the new tables, in the walk that allocates them and in
/// every later one: each lookup is checked against a plain map of what is mapped.
/// </summary>
public class PageTableReuseTests
{
    private sealed record Op(bool IsMap, ulong Iova, ulong Pages, ulong Phys);

    // A window of four 2 MiB leaf tables under two level-2 entries: whole-table unmaps free leaf tables (and
    // their level-2 table) that the next maps take back, LIFO.
    private static readonly Gen<Op> _ops =
        Gen.Select(Gen.Int[0, 2], Gen.ULong[0, 4 * 512 - 1], Gen.ULong[1, 700], Gen.ULong[1, 1UL << 20])
            .Select((kind, iova, pages, phys) => kind == 0
                ? new Op(false, iova & ~511UL, 512 * (1 + (pages % 2)), 0) // whole leaf tables
                : new Op(kind == 1, iova, pages, phys));

    [Fact]
    public void Lookups_match_what_is_mapped_while_freed_table_pages_come_back_as_new_tables() =>
        Gen.Select(_ops.Array[1, 30], Gen.ULong[0, 4 * 512 + 10].Array[16]).Sample((ops, probes) =>
        {
            var memory = new PhysicalMemory(46);
            var pages = new TablePages(memory, 0x10_0000_0000, reuseFreed: true);
            var table = new DmaPageTable(memory, 2, pages.Alloc, pages.Free, maxSuperpageLevel: 1);
            var model = new Dictionary<ulong, ulong>();
            foreach (var op in ops)
            {
                if (op.IsMap)
                {
                    table.Map(new IovaPfn(op.Iova), new PhysPfn(op.Phys), op.Pages, read: true, write: true);
                    for (var i = 0UL; i < op.Pages; i++) model.TryAdd(op.Iova + i, op.Phys + i); // a set PTE is left alone
                }
                else
                {
                    table.Unmap(op.Iova, op.Pages);
                    for (var i = 0UL; i < op.Pages; i++) model.Remove(op.Iova + i);
                }
                foreach (var pfn in probes.Append(op.Iova).Append(op.Iova + op.Pages - 1))
                {
                    var leaf = table.Lookup(pfn);
                    Assert.Equal(model.TryGetValue(pfn, out var phys) ? (true, phys) : (false, 0UL), (leaf.Present, leaf.Present ? leaf.PhysPfn : 0UL));
                }
            }
        }, iter: 300);

    [Fact]
    public void A_leaf_table_freed_by_an_unmap_is_taken_back_by_the_next_map_and_reads_as_the_new_table()
    {
        var memory = new PhysicalMemory(46);
        var pages = new TablePages(memory, 0x10_0000_0000, reuseFreed: true);
        var table = new DmaPageTable(memory, 2, pages.Alloc, pages.Free, maxSuperpageLevel: 1);
        table.Map(new IovaPfn(512 + 7), new PhysPfn(0x1234), 1, read: true, write: true);
        Assert.Equal((true, 0x1234UL), (table.Lookup(512 + 7).Present, table.Lookup(512 + 7).PhysPfn));
        var epoch = memory.HostPageEpoch;
        table.Unmap(512, 512);                                   // the leaf table is empty: discarded and freed
        Assert.NotEqual(epoch, memory.HostPageEpoch);
        var freed = Assert.Single(pages.Freed);
        table.Map(new IovaPfn(3 * 512 + 9), new PhysPfn(0x5678), 1, read: true, write: true); // takes it back, zeroed
        Assert.Equal(freed.Value, LeafTableOf(table, memory, 3 * 512 + 9));
        Assert.Equal((true, 0x5678UL), (table.Lookup(3 * 512 + 9).Present, table.Lookup(3 * 512 + 9).PhysPfn));
        Assert.False(table.Lookup(512 + 7).Present);
        Assert.False(table.Lookup(3 * 512 + 7).Present);      // the reused page's old entry is gone
    }

    /// <summary>
    /// The walk that allocates a table starts over on its memos: the allocator may hand back a table page freed
    /// without a discard (a level-2 table that held only a superpage) that a memo still names, zero it by
    /// discarding it (its host array leaves the page map) and, touching another page, give that array to it. Read through the old memo,
    /// the new level-2 table would show the other page's bytes: here a superpage entry, which blocks the map.
    /// </summary>
    [Fact]
    public void A_table_page_handed_back_while_a_memo_names_it_reads_as_the_new_table_in_the_same_walk()
    {
        var scratch = new PhysicalMemory(46);
        scratch.WriteU64(new PhysAddr(0x1000), 1);
        scratch.ReleasePages(); // this thread now keeps released host arrays for reuse, as a sweep worker does

        var memory = new PhysicalMemory(46);
        var next = 0x10_0000_0000UL;
        var freed = new List<PhysAddr>();
        PhysAddr? handBack = null;
        var other = new PhysAddr(0x7000_0000);
        const ulong JunkSuperpage = 0x1234_5000UL | VtdSlPte.PageSize | VtdSlPte.Read | VtdSlPte.Write;
        PhysAddr Alloc()
        {
            if (handBack is { } page)
            {
                handBack = null;
                memory.Discard(page.Pfn);                             // zeroed by a discard: its host array goes back to the pool
                memory.WriteU64(other.Add(8 * 7), JunkSuperpage);     // another page takes that array
                return page;
            }
            var p = new PhysAddr(next);
            next += 0x1000;
            memory.Fill(p, 0x1000, 0);
            return p;
        }
        var table = new DmaPageTable(memory, 2, Alloc, freed.Add, maxSuperpageLevel: 2);
        const ulong A = 1UL << 18, C = 2UL << 18, B = (3UL << 18) + (7UL << 9) + 9; // one level-3 table, three of its entries
        table.Map(new IovaPfn(C), new PhysPfn(0x4444), 1, read: true, write: true); // keeps the level-3 table alive
        table.Map(new IovaPfn(A), new PhysPfn(0x20_0000), 512, read: true, write: true, allowSuperpages: true);
        var level2OfA = TableOf(memory, table, A, 2);
        Assert.Equal(2, table.Lookup(A).Level);                 // a 2 MiB superpage: the level-2 memo now names A's table
        var epoch = memory.HostPageEpoch;
        table.Unmap(A, 1UL << 18);                              // covers the whole table: freed, nothing discarded
        Assert.Equal(level2OfA, Assert.Single(freed).Value);
        Assert.Equal(epoch, memory.HostPageEpoch);
        handBack = freed[0];

        var result = table.Map(new IovaPfn(B), new PhysPfn(0x5678), 1, read: true, write: true);

        Assert.Null(handBack);                                  // the level-2 table of B is the page handed back
        Assert.False(result.HasConflicts);
        Assert.Equal((true, 0x5678UL), (table.Lookup(B).Present, table.Lookup(B).PhysPfn));
        Assert.Equal((true, 0x4444UL), (table.Lookup(C).Present, table.Lookup(C).PhysPfn));
        Assert.False(table.Lookup(A).Present);
    }

    // The level-`level` table under an IOVA pfn, read the plain way (4-level table).
    private static ulong TableOf(PhysicalMemory memory, DmaPageTable table, ulong pfn, int level)
    {
        var t = table.Root.Value;
        for (var l = 4; l > level; l--)
            t = memory.ReadU64(new PhysAddr(t + (8 * ((pfn >> (9 * (l - 1))) & 511)))) & ~0xFFFUL & ((1UL << 52) - 1);
        return t;
    }

    // The level-1 table under an IOVA pfn, read the plain way (4-level table: root, level 3, level 2).
    private static ulong LeafTableOf(DmaPageTable table, PhysicalMemory memory, ulong pfn)
    {
        var t = table.Root.Value;
        for (var level = 4; level > 1; level--)
            t = memory.ReadU64(new PhysAddr(t + (8 * ((pfn >> (9 * (level - 1))) & 511)))) & ~0xFFFUL & ((1UL << 52) - 1);
        return t;
    }
}
