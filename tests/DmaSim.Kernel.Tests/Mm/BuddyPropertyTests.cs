using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;
using static DmaSim.Kernel.Tests.Mm.TestMachine;

namespace DmaSim.Kernel.Tests.Mm;

/// <summary>The buddy allocator against a page-set oracle.</summary>
public class BuddyPropertyTests
{
    private static readonly Gfp[] _masks = [Gfp.Kernel, Gfp.Dma32, Gfp.Dma, Gfp.Dma | Gfp.Dma32];

    private static ZoneType[] Allowed(Gfp gfp) => gfp switch
    {
        Gfp.Kernel => [ZoneType.Normal, ZoneType.Dma32, ZoneType.Dma],
        Gfp.Dma32 => [ZoneType.Dma32, ZoneType.Dma],
        _ => [ZoneType.Dma],
    };

    private static ZoneType ZoneOfPfn(ulong pfn) => pfn < 0x1000 ? ZoneType.Dma : pfn < 0x100000 ? ZoneType.Dma32 : ZoneType.Normal;

    private static TestMachine Small(BuddyBootPlacement placement) => Create(
        [Usable(0x1000, 0x9ffff), Usable(0x100000, 0x17fffff), Usable(0x100000000, 0x1007fffff)],
        reserved: [new PhysRange(0x200000, 0x2fffff), new PhysRange(0x1003000, 0x1003fff)],
        placement: placement);

    [Theory]
    [InlineData(BuddyBootPlacement.HighestFirst)]
    [InlineData(BuddyBootPlacement.LowestFirst)]
    public void Buddy_allocator_agrees_with_a_page_set_oracle(BuddyBootPlacement placement)
    {
        var op = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 10], Gen.Int[0, 3], Gen.Int[0, 10_000]);
        op.Array[1, 150].Sample(ops =>
        {
            var m = Small(placement);
            var a = m.Allocator;
            // Pages the allocator may hand out: usable, whole, not reserved.
            var managed = new HashSet<ulong>();
            foreach (var (f, l) in new[] { (0x1UL, 0x9fUL), (0x100UL, 0x17ffUL), (0x100000UL, 0x1007ffUL) })
                for (var p = f; p <= l; p++) managed.Add(p);
            for (var p = 0x200UL; p <= 0x2ff; p++) managed.Remove(p);
            managed.Remove(0x1003);
            var initial = a.AllStats();
            Assert.Equal((ulong)managed.Count, initial.Aggregate(0UL, (s, z) => s + z.ManagedPages));

            var used = new HashSet<ulong>();
            var live = new List<PageAllocation>();
            foreach (var (kind, order, maskIndex, pick) in ops)
            {
                if (kind == 2)
                {
                    if (live.Count == 0) continue;
                    var victim = live[pick % live.Count];
                    live.Remove(victim);
                    a.FreePages(victim.Start, victim.Order);
                    for (var p = victim.Start.Pfn; p < victim.Start.Pfn + (1UL << victim.Order); p++) used.Remove(p);
                    continue;
                }
                var gfp = _masks[maskIndex];
                var owner = new FrameOwner(OwnerKind.KernelBuffer, Label: live.Count.ToString());
                var r = a.AllocPages(order, gfp, owner);
                var size = 1UL << order;
                if (r is { } block)
                {
                    var first = block.Start.Pfn;
                    Assert.Equal(0UL, first % size);
                    Assert.Equal(order, block.Order);
                    Assert.Contains(block.Zone, Allowed(gfp));
                    Assert.Equal(block.Zone, ZoneOfPfn(first));
                    Assert.Equal(block.Zone, ZoneOfPfn(first + size - 1));
                    for (var p = first; p < first + size; p++)
                    {
                        Assert.Contains(p, managed);
                        Assert.True(used.Add(p), $"page {p:x} handed out twice");
                    }
                    Assert.Same(owner, m.Owners.OwnerOfPfn(first));
                    live.Add(block);
                }
                else
                {
                    // A failure is only allowed when no aligned free block exists in an allowed zone.
                    foreach (var p in managed)
                    {
                        if (p % size != 0 || !Allowed(gfp).Contains(ZoneOfPfn(p))) continue;
                        var fits = true;
                        for (var q = p; q < p + size && fits; q++) fits = managed.Contains(q) && !used.Contains(q) && ZoneOfPfn(q) == ZoneOfPfn(p);
                        Assert.False(fits, $"order {order} {gfp} failed although pfn {p:x} was free");
                    }
                }
                Assert.Equal((ulong)(managed.Count - used.Count), a.TotalFreePages);
            }
            foreach (var b in live) a.FreePages(b.Start, b.Order);
            var end = a.AllStats();
            for (var z = 0; z < 3; z++)
            {
                Assert.Equal(initial[z].FreePages, end[z].FreePages);
                Assert.Equal(initial[z].FreeBlocksByOrder, end[z].FreeBlocksByOrder);
            }
            Assert.All(managed, p => Assert.Equal(OwnerKind.Free, m.Owners.OwnerOfPfn(p).Kind));
        }, iter: 60);
    }
}
