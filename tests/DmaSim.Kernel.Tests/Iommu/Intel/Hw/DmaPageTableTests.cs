using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Tests.Iommu.Intel.Hw;

/// <summary>Second-level page tables as the driver writes them (linux-semantics.md §7.2–7.4).</summary>
public class DmaPageTableTests
{
    private static readonly Bdf _dev = new(2, 3, 0);

    [Fact]
    public void Map_writes_intermediate_tables_and_a_leaf_pte()
    {
        var rig = new HwRig();
        var pt = rig.NewDomain(2);
        var r = pt.Map(new IovaPfn(0x1234), new PhysPfn(0xABCD), 1, read: true, write: false);
        Assert.Equal((MapStatus.Ok, 1UL), (r.Status, r.PagesMapped));
        Assert.Equal(4, pt.TablePages);
        var leaf = pt.Lookup(0x1234);
        Assert.True(leaf.Present && leaf.Read && !leaf.Write);
        Assert.Equal((0xABCDUL << 12) | 1, leaf.Pte);
        Assert.Equal(0xABCDUL, leaf.PhysPfn);
        Assert.False(pt.Lookup(0x1235).Present);
        // Non-leaf entries carry R|W.
        Assert.Equal(3UL, rig.Memory.ReadU64(pt.Root) & 3);
    }

    [Fact]
    public void Mapping_over_a_set_pte_reports_it_and_does_not_overwrite()
    {
        var pt = new HwRig().NewDomain(1);
        pt.Map(new IovaPfn(0x10), new PhysPfn(0x500), 1, true, true);
        var r = pt.Map(new IovaPfn(0xF), new PhysPfn(0x900), 3, true, true);
        Assert.Equal(2UL, r.PagesMapped);
        var c = Assert.Single(r.Conflicts);
        Assert.Equal("ERROR: DMA PTE for vPFN 0x10 already set (to 500003 not 901003)", c.LinuxMessage);
        Assert.Equal(0x500UL, pt.Lookup(0x10).PhysPfn);
        Assert.Equal(0x902UL, pt.Lookup(0x11).PhysPfn);
    }

    [Fact]
    public void Mappings_without_permission_or_beyond_the_width_are_refused()
    {
        var pt = new HwRig().NewDomain(1);
        Assert.Equal(MapStatus.NoPermission, pt.Map(new IovaPfn(0), new PhysPfn(0), 1, false, false).Status);
        Assert.Equal(MapStatus.BeyondDomainWidth, pt.Map(new IovaPfn((1UL << 27) - 1), new PhysPfn(0), 2, true, true).Status);
        Assert.Equal(MapStatus.Ok, pt.Map(new IovaPfn((1UL << 27) - 1), new PhysPfn(0), 1, true, true).Status);
        Assert.False(pt.Lookup(1UL << 27).Present);
    }

    [Fact]
    public void Unmap_clears_ptes_and_frees_only_tables_the_range_covers_whole()
    {
        var rig = new HwRig();
        var pt = rig.NewDomain(2);
        pt.Map(new IovaPfn(0x1FF), new PhysPfn(0x100), 2, true, true); // straddles two level-1 tables
        Assert.Equal(5, pt.TablePages);
        // One page of a 512-page table: the table stays even though it is now empty (2.6.32 and 6.x alike).
        var partial = pt.Unmap(0x1FF, 1);
        Assert.Equal(1UL, partial.PagesCleared);
        Assert.Empty(partial.FreedTables);
        // 2^20 pages from 0 cover the level-2 table under the first level-3 entry and both leaf tables,
        // but not the level-3 table itself.
        var rest = pt.Unmap(0, 1UL << 20);
        Assert.Equal(1UL, rest.PagesCleared);
        Assert.Equal(3, rest.FreedTables.Count);
        Assert.Equal(2, pt.TablePages);
        Assert.Equal(3, rig.Pages.Freed.Count);
        pt.Destroy();
        Assert.Equal(0, rig.Pages.Live);
    }

    [Fact]
    public void Superpages_are_used_when_aligned_and_unmapped_whole()
    {
        var rig = new HwRig().Boot();
        var pt = rig.NewDomain(2);
        var r = pt.Map(new IovaPfn(0x200), new PhysPfn(0x4_0000), 0x200 + 1, true, true, allowSuperpages: true);
        Assert.Equal(0x201UL, r.PagesMapped);
        Assert.Equal(2, pt.Lookup(0x234).Level);
        Assert.Equal(1, pt.Lookup(0x400).Level);
        rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 1, 2, pt.Root);
        var t = rig.Unit.Translate(_dev, new DmaAddr(0x23_4567), false);
        Assert.Equal((0x4_0034_567UL, 21), (t.Address, t.PageShift));
        // Unmapping one page inside the superpage removes all of it (modern intel_iommu_unmap).
        Assert.Equal(0x200UL, pt.Unmap(0x210, 1).PagesCleared);
        Assert.False(pt.Lookup(0x234).Present);
        var g1 = rig.NewDomain(2);
        g1.Map(new IovaPfn(1UL << 18), new PhysPfn(1UL << 18), 1UL << 18, true, true, allowSuperpages: true);
        Assert.Equal(3, g1.Lookup((1UL << 18) + 5).Level);
    }

    [Fact]
    public void A_small_mapping_inside_a_superpage_conflicts_with_it()
    {
        var pt = new HwRig().NewDomain(2);
        pt.Map(new IovaPfn(0x200), new PhysPfn(0x400), 0x200, true, true, allowSuperpages: true);
        var c = Assert.Single(pt.Map(new IovaPfn(0x201), new PhysPfn(0x9), 1, true, true).Conflicts);
        Assert.NotEqual(0UL, c.Existing & VtdSlPte.PageSize);
    }

    [Fact]
    public void Root_for_a_smaller_unit_agaw_skips_top_levels_through_entry_0()
    {
        var pt = new HwRig().NewDomain(2);
        Assert.Null(pt.RootForAgaw(1));
        pt.Map(new IovaPfn(0x5), new PhysPfn(0x9), 1, true, true);
        var lower = pt.RootForAgaw(1);
        Assert.NotNull(lower);
        Assert.NotEqual(pt.Root, lower!.Value);
        Assert.Equal(pt.Root, pt.RootForAgaw(2));
    }

    public static TheoryData<int> Agaws => new() { 1, 2 };

    /// <summary>
    /// Property: after any sequence of maps and unmaps (each followed by the strict-mode IOTLB flush), the
    /// hardware's translation of every page in three windows that cross table boundaries agrees with a
    /// dictionary oracle, and unmapping everything returns every table page but the root.
    /// </summary>
    [Theory]
    [MemberData(nameof(Agaws))]
    public void Map_translate_unmap_agrees_with_a_dictionary(int agaw)
    {
        ulong[] bases = [0x1F8, (1UL << 18) - 8, (1UL << 27) - 8];
        const int window = 24;
        var op = Gen.Select(Gen.Bool, Gen.Int[0, 2], Gen.ULong[0, window - 1], Gen.ULong[1, 9], Gen.ULong[0, 1000], Gen.Int[1, 3]);
        op.Array[1, 14].Sample(ops =>
        {
            // Modern PSI alignment: 2.6.32's unaligned mask relies on size-aligned IOVAs (see the driver tests).
            var rig = new HwRig(options: IntelIommuDriverOptions.For(ProfileCatalog.Linux61)).Boot();
            rig.Events.Record = false;
            var pt = rig.NewDomain(agaw);
            rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 9, agaw, pt.Root);
            var oracle = new Dictionary<ulong, (ulong Phys, bool R, bool W)>();
            foreach (var (isMap, b, offset, pages, phys, perm) in ops)
            {
                var iova = bases[b] + offset;
                if (isMap)
                {
                    bool r = (perm & 1) != 0, w = (perm & 2) != 0;
                    var result = pt.Map(new IovaPfn(iova), new PhysPfn(0x10_0000 + phys), pages, r, w);
                    if (iova + pages - 1 > pt.MaxPfn)
                    {
                        Assert.Equal(MapStatus.BeyondDomainWidth, result.Status);
                        continue;
                    }
                    var conflicts = 0;
                    for (ulong i = 0; i < pages; i++)
                    {
                        if (oracle.ContainsKey(iova + i)) conflicts++;
                        else oracle[iova + i] = (0x10_0000 + phys + i, r, w);
                    }
                    Assert.Equal(conflicts, result.Conflicts.Count);
                }
                else
                {
                    pt.Unmap(iova, pages);
                    for (ulong i = 0; i < pages; i++) oracle.Remove(iova + i);
                    rig.Driver.FlushIotlbPages(9, iova, pages);
                }
                foreach (var start in bases)
                {
                    for (ulong p = start; p < start + window + 9; p++) Check(rig, oracle, p); // maps reach 9 pages past the window
                }
            }
            // Tables are freed only where an unmap covers them whole (dma_pte_free_pagetable), so
            // clearing the windows keeps their tables; unmapping the whole space returns all but the root.
            var before = pt.TablePages;
            foreach (var start in bases) pt.Unmap(start, window + 9);
            Assert.Equal(before, pt.TablePages);
            pt.Unmap(0, pt.MaxPfn + 1);
            Assert.Equal(1, pt.TablePages);
        }, iter: 100);
    }

    /// <summary>
    /// Property: the one-walk unmap of dma-iommu's single-page path (<see cref="DmaPageTable.LookupAndClear"/>)
    /// answers as <see cref="DmaPageTable.Lookup"/> and leaves every entry as a one-page
    /// <see cref="DmaPageTable.Unmap"/> after it would (only when the leaf is present), on twin tables built by the
    /// same maps, 2 MiB superpages and absent pages included.
    /// </summary>
    [Fact]
    public void Lookup_and_clear_is_a_lookup_then_a_one_page_unmap()
    {
        // A superpage map starts on a 2 MiB boundary (the frames are aligned alike), so it gets a superpage when it is long enough.
        var map = Gen.Select(Gen.ULong[0, 2047], Gen.ULong[1, 600], Gen.Bool).Select((iova, pages, super) => (super ? iova & ~511UL : iova, pages, super));
        Gen.Select(map.Array[1, 8], Gen.ULong[0, 2047].Array[1, 12]).Sample((maps, probes) =>
        {
            var (a, ta) = Twin(maps);
            var (b, tb) = Twin(maps);
            foreach (var pfn in probes)
            {
                var expected = ta.Lookup(pfn);
                if (expected.Present) ta.Unmap(pfn, 1);
                Assert.Equal(expected, tb.LookupAndClear(pfn));
                for (ulong p = 0; p < 2048; p++) Assert.Equal(ta.Lookup(p), tb.Lookup(p));
            }
            Assert.Equal(a.Memory.TouchedPages, b.Memory.TouchedPages);
        }, iter: 60);

        static (HwRig Rig, DmaPageTable Table) Twin((ulong Iova, ulong Pages, bool Super)[] maps)
        {
            var rig = new HwRig();
            var table = rig.NewDomain(2);
            foreach (var (iova, pages, super) in maps) table.Map(new IovaPfn(iova), new PhysPfn(0x40_0000 + iova), pages, true, true, allowSuperpages: super);
            return (rig, table);
        }
    }

    private static void Check(HwRig rig, Dictionary<ulong, (ulong Phys, bool R, bool W)> oracle, ulong pfn)
    {
        var address = (pfn << 12) | 0x18;
        var read = rig.Unit.Translate(_dev, new DmaAddr(address), isWrite: false);
        var write = rig.Unit.Translate(_dev, new DmaAddr(address), isWrite: true);
        if (oracle.TryGetValue(pfn, out var m))
        {
            Assert.Equal(m.R, read.IsSuccess);
            Assert.Equal(m.W, write.IsSuccess);
            var ok = m.R ? read : write;
            Assert.Equal((m.Phys << 12) | 0x18, ok.Address);
            if (!m.R) Assert.Equal(VtdFaultReason.ReadNotPermitted, read.FaultReason);
            if (!m.W) Assert.Equal(VtdFaultReason.WriteNotPermitted, write.FaultReason);
        }
        else
        {
            Assert.True(read.IsFault && write.IsFault);
        }
    }
}
