using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Iommu.Intel.Hw;

namespace DmaSim.Kernel.Tests.Iommu.Intel.Hw;

/// <summary>
/// Whole GiBs of 4 KiB mappings kept as pfn sequences (issue 11, sparse identity maps) must be the same tables
/// as the ones written entry by entry: every reader — the walk, a later map, an unmap — sees the same bytes.
/// </summary>
public class SequenceTableTests
{
    private const ulong GiB = 1UL << 18; // pages

    private sealed class Side
    {
        public Side(bool sequences)
        {
            Memory = new PhysicalMemory(46);
            Pages = new TablePages(Memory, 0x10_0000_0000);
            Table = new DmaPageTable(Memory, 2, Pages.Alloc, Pages.Free, maxSuperpageLevel: 1, allocTableRun: sequences ? Pages.AllocRun : null);
        }

        public PhysicalMemory Memory { get; }
        public TablePages Pages { get; }
        public DmaPageTable Table { get; }
    }

    private sealed record Op(bool IsMap, ulong Iova, ulong Phys, ulong Pages);

    // Ranges from a few pages to a few GiB, often GiB-aligned, over a small window so that they overlap.
    private static readonly Gen<Op> _ops =
        Gen.Select(Gen.Bool, Gen.ULong[0, 7], Gen.ULong[0, 3], Gen.ULong[0, 600], Gen.ULong[0, 2 * GiB + 700], Gen.ULong[0, 1UL << 20])
            .Select((map, gib, alignKind, offset, pages, phys) =>
                new Op(map, (gib * GiB) + (alignKind == 0 ? offset : 0), phys, Math.Max(1, pages)));

    [Fact]
    public void Gigabytes_kept_as_sequences_read_and_change_as_written_tables_do() =>
        Gen.Select(_ops.Array[1, 6], Gen.ULong[0, 9 * GiB].Array[24]).Sample((ops, probes) =>
        {
            var written = new Side(sequences: false);
            var kept = new Side(sequences: true);
            foreach (var op in ops)
            {
                if (op.IsMap)
                {
                    var a = written.Table.Map(new IovaPfn(op.Iova), new PhysPfn(op.Phys), op.Pages, read: true, write: true);
                    var b = kept.Table.Map(new IovaPfn(op.Iova), new PhysPfn(op.Phys), op.Pages, read: true, write: true);
                    Assert.Equal(a.PagesMapped, b.PagesMapped);
                    Assert.Equal(a.Conflicts, b.Conflicts);
                }
                else
                {
                    Assert.Equal(written.Table.Unmap(op.Iova, op.Pages).PagesCleared, kept.Table.Unmap(op.Iova, op.Pages).PagesCleared);
                }
                Assert.Equal(written.Table.TablePages, kept.Table.TablePages);
                Assert.Equal(written.Pages.Live, kept.Pages.Live);
            }
            foreach (var pfn in probes.Concat(ops.SelectMany(o => new[] { o.Iova, o.Iova + o.Pages - 1, o.Iova + o.Pages })))
                Assert.Equal(written.Table.Lookup(pfn), kept.Table.Lookup(pfn));
        }, iter: 60);

    [Fact]
    public void A_mapped_gigabyte_costs_no_host_page_until_written()
    {
        var kept = new Side(sequences: true);
        var written = new Side(sequences: false);
        kept.Table.Map(new IovaPfn(4 * GiB), new PhysPfn(4 * GiB), 2 * GiB, read: true, write: true);
        written.Table.Map(new IovaPfn(4 * GiB), new PhysPfn(4 * GiB), 2 * GiB, read: true, write: true);
        Assert.Equal(written.Table.TablePages, kept.Table.TablePages); // 1026 leaves and level-2 tables + the upper levels
        Assert.True(written.Memory.TouchedPages > 1024, $"{written.Memory.TouchedPages}");
        Assert.InRange(kept.Memory.TouchedPages, 1, 4);
        var leaf = kept.Table.Lookup((5 * GiB) + 12345);
        Assert.Equal(((5 * GiB) + 12345, 1), (leaf.PhysPfn, leaf.Level));
        // A stray write into one leaf table materialises that page alone, keeping its other 511 entries.
        var pfn = (5 * GiB) + 12345;
        var leafTable = LeafTableOf(kept, pfn);
        var touched = kept.Memory.TouchedPages;
        kept.Memory.WriteU64(leafTable.Add(8 * (pfn & 511)), 0);
        Assert.Equal(touched + 1, kept.Memory.TouchedPages);
        Assert.False(kept.Table.Lookup(pfn).Present);
        Assert.Equal(pfn + 1, kept.Table.Lookup(pfn + 1).PhysPfn);
        Assert.Equal(pfn - 1, kept.Table.Lookup(pfn - 1).PhysPfn);
    }

    // The walk by hand, as the hardware does it: 4 levels (agaw 2), 9 bits each.
    private static PhysAddr LeafTableOf(Side side, ulong pfn)
    {
        var table = side.Table.Root;
        for (var level = 4; level > 1; level--)
        {
            var pte = side.Memory.ReadU64(table.Add(8 * ((pfn >> (9 * (level - 1))) & 511)));
            table = new PhysAddr(pte & 0x000F_FFFF_FFFF_F000);
        }
        return table;
    }
}
