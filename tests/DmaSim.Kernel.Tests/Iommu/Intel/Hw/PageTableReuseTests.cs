using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
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

    // The level-1 table under an IOVA pfn, read the plain way (4-level table: root, level 3, level 2).
    private static ulong LeafTableOf(DmaPageTable table, PhysicalMemory memory, ulong pfn)
    {
        var t = table.Root.Value;
        for (var level = 4; level > 1; level--)
            t = memory.ReadU64(new PhysAddr(t + (8 * ((pfn >> (9 * (level - 1))) & 511)))) & ~0xFFFUL & ((1UL << 52) - 1);
        return t;
    }
}
