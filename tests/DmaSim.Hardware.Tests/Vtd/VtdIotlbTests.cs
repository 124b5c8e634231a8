using CsCheck;
using DmaSim.Hardware.Vtd;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>
/// The IOTLB's invalidation fast paths (empty-table and empty-domain return, per-key probing of small
/// page-selective ranges) against a plain model of QEMU's <c>vtd_hash_remove_by_page</c> /
/// <c>vtd_hash_remove_by_domain</c> scan, and the work counter that shows no full scan happens.
/// </summary>
public sealed class VtdIotlbTests
{
    private const int Slots = 4096;

    private static IotlbEntry Entry(ushort did, int level, ulong output) =>
        new() { OutputPage = output, DomainId = did, Level = (byte)level, Read = true, Write = true };

    [Fact]
    public void Invalidating_an_empty_iotlb_examines_no_slot()
    {
        var tlb = new VtdIotlb();
        Assert.Equal(0, tlb.InvalidatePages(1, 0x1000, 0));
        Assert.Equal(0, tlb.InvalidateDomain(1));
        Assert.Equal(0, tlb.InvalidationProbes);
    }

    [Fact]
    public void Invalidating_a_domain_with_no_entries_examines_no_slot()
    {
        var tlb = new VtdIotlb();
        tlb.Insert(0x10, 0x5000, Entry(1, 1, 0x9000));
        tlb.InvalidatePages(2, 0x5000, 0);
        tlb.InvalidateDomain(2);
        Assert.Equal(0, tlb.InvalidationProbes);
        Assert.Equal(1, tlb.Count);
    }

    [Fact]
    public void One_page_invalidation_probes_keys_instead_of_scanning()
    {
        var tlb = new VtdIotlb();
        for (var i = 0UL; i < 900; i++) tlb.Insert(0x10, 0x10_0000 + (i << 12), Entry(1, 1, 0x1000 * (i + 1)));
        Assert.Equal(1, tlb.InvalidatePages(1, 0x10_0000 + (7UL << 12), 0));
        Assert.True(tlb.InvalidationProbes < 64, $"{tlb.InvalidationProbes} slots examined for one page");
        Assert.Equal(899, tlb.Count);
    }

    [Fact]
    public void A_released_table_serves_the_next_iotlb_empty_and_the_released_one_starts_empty()
    {
        var first = new VtdIotlb();
        for (var i = 0UL; i < 600; i++) first.Insert(0x10, 0x10_0000 + (i << 12), Entry(1, 1, 0x1000 * (i + 1)));
        first.Insert(0x10, 0x4020_0000, Entry(1, 2, 0x8000_0000));
        first.ReleaseTable();
        Assert.Equal(0, first.Count);
        Assert.False(first.HoldsLargePages);
        Assert.Equal(-1, first.Find(0x10, 0x10_0000));

        var next = new VtdIotlb();
        next.Insert(0x20, 0x7000, Entry(2, 1, 0xA000));
        Assert.Equal(1, next.Count);
        for (var i = 0UL; i < 600; i++) Assert.Equal(-1, next.Find(0x10, 0x10_0000 + (i << 12)));
        Assert.Equal(-1, next.Find(0x10, 0x4021_3000));
        Assert.Equal(0xA000UL, next.At(next.Find(0x20, 0x7000)).OutputPage);
        Assert.Equal(1, next.InvalidateDomain(2));
        Assert.Equal(0, next.InvalidateDomain(1));

        first.Insert(0x10, 0x5000, Entry(1, 1, 0x9000));
        Assert.Equal(0x9000UL, first.At(first.Find(0x10, 0x5000)).OutputPage);
    }

    [Fact]
    public void A_fresh_iotlb_misses_while_another_holds_entries_and_the_probe_word_carries_the_permissions()
    {
        var first = new VtdIotlb();
        first.Insert(0x10, 0x5000, new IotlbEntry { OutputPage = 0x9000, DomainId = 1, Level = 1, Read = true });
        var fresh = new VtdIotlb(); // probes the shared empty table until its first fill
        Assert.Equal(0UL, fresh.ProbeSmall(0x10, 0x5000));
        Assert.Equal(-1, fresh.Find(0x10, 0x5000));
        Assert.Equal(0x9000UL | IotlbSlot.ReadBit, first.ProbeSmall(0x10, 0x5000));
        var entry = first.At(first.Find(0x10, 0x5000));
        Assert.Equal((0x9000UL, (ushort)1, (byte)1, true, false, 0xFFFUL, 5UL), (entry.OutputPage, entry.DomainId, entry.Level, entry.Read, entry.Write, entry.PageMask, entry.Gfn));
    }

    [Fact]
    public void A_slot_is_16_bytes() =>
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<IotlbSlot>());

    [Fact]
    public void A_4k_miss_probes_large_page_keys_only_while_a_large_entry_is_cached()
    {
        var tlb = new VtdIotlb();
        tlb.Insert(0x10, 0x5000, Entry(1, 1, 0x9000));
        Assert.Equal(-1, tlb.Find(0x10, 0x4000_0000));
        Assert.Equal(0, tlb.LargePageProbes);

        tlb.Insert(0x10, 0x4020_0000, Entry(1, 2, 0x8000_0000));
        var slot = tlb.Find(0x10, 0x4021_3000);
        Assert.True(slot >= 0);
        Assert.Equal(0x8000_0000UL, tlb.At(slot).OutputPage);
        Assert.Equal(1, tlb.LargePageProbes);

        Assert.Equal(1, tlb.InvalidatePages(1, 0x4020_0000, 0));
        Assert.Equal(-1, tlb.Find(0x10, 0x4021_3000));
        Assert.Equal(1, tlb.LargePageProbes);
    }

    [Fact]
    public void Domain_invalidation_stops_once_the_domain_is_empty()
    {
        var tlb = new VtdIotlb();
        tlb.Insert(0x10, 0x5000, Entry(1, 1, 0x9000));
        Assert.Equal(1, tlb.InvalidateDomain(1));
        var afterFirst = tlb.InvalidationProbes;
        Assert.True(afterFirst <= Slots);
        Assert.Equal(0, tlb.InvalidateDomain(1));
        Assert.Equal(afterFirst, tlb.InvalidationProbes);
    }

    /// <summary>
    /// Random fills (five SIDs so the more-than-four-SIDs fallback is taken too, three domains, all three
    /// leaf levels, a full-table flush now and then) and random invalidations of every kind: the table
    /// keeps exactly the entries the scan model keeps, and Find returns what the model's level order finds.
    /// </summary>
    [Fact]
    public void Probing_removes_exactly_what_the_scan_removes()
    {
        var op = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 4], Gen.UShort[1, 3], Gen.ULong[0, 3000], Gen.Int[1, 3], Gen.Int[0, 10]);
        op.Array[1, 1500].Sample(ops =>
        {
            var tlb = new VtdIotlb();
            var model = new Dictionary<(ulong Gfn, ushort Sid, int Level), IotlbEntry>();
            var output = 0UL;
            foreach (var (kind, sidIndex, did, gfn, level, am) in ops)
            {
                var sid = (ushort)(0x100 + sidIndex);
                if (kind < 6)
                {
                    if (model.Count >= VtdIotlb.MaxEntries) model.Clear();
                    var e = Entry(did, level, ++output << 30);
                    tlb.Insert(sid, gfn << 12, e);
                    e.Gfn = gfn & ~((1UL << (9 * (level - 1))) - 1);
                    model[(e.Gfn, sid, level)] = e;
                }
                else if (kind < 9) Remove(model, did, gfn, am);
                else Remove(model, did, 0, -1);
                if (kind >= 9) tlb.InvalidateDomain(did);
                else if (kind >= 6) tlb.InvalidatePages(did, gfn << 12, am);
                Assert.Equal(model.Count, tlb.Count);
            }
            for (var sidIndex = 0; sidIndex < 5; sidIndex++)
                for (var gfn = 0UL; gfn < 3000; gfn += 7)
                    Assert.Equal(ModelFind(model, (ushort)(0x100 + sidIndex), gfn), TlbFind(tlb, (ushort)(0x100 + sidIndex), gfn));
        }, iter: 60);
    }

    private static void Remove(Dictionary<(ulong Gfn, ushort Sid, int Level), IotlbEntry> model, ushort did, ulong gfn, int am)
    {
        var mask = am < 0 ? 0 : ~((1UL << am) - 1);
        foreach (var key in model.Keys.ToList())
        {
            var e = model[key];
            if (e.DomainId != did) continue;
            var levelMask = ~((1UL << (9 * (e.Level - 1))) - 1);
            if (am < 0 || (e.Gfn & mask) == (gfn & mask) || (gfn & levelMask) == e.Gfn) model.Remove(key);
        }
    }

    private static ulong? ModelFind(Dictionary<(ulong Gfn, ushort Sid, int Level), IotlbEntry> model, ushort sid, ulong gfn)
    {
        for (var level = 1; level <= 3; level++)
            if (model.TryGetValue((gfn & ~((1UL << (9 * (level - 1))) - 1), sid, level), out var e)) return e.OutputPage;
        return null;
    }

    private static ulong? TlbFind(VtdIotlb tlb, ushort sid, ulong gfn)
    {
        var slot = tlb.Find(sid, gfn << 12);
        return slot < 0 ? null : tlb.At(slot).OutputPage;
    }
}
