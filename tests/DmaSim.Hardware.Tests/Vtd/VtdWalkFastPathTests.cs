using CsCheck;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>
/// The walk reads remembered table pages in a loop with no call and hands anything unusual (a page not
/// remembered, a fault of any kind) to the checked walk. A unit whose earlier walks left every table
/// remembered must answer exactly as a fresh unit over the same tables, whose first walk is the checked one.
/// </summary>
public class VtdWalkFastPathTests
{
    private const ushort Sid = 0x0010;
    private const int LeafSlots = 8;
    private const ulong Page = 0x1010_0000;
    private const ulong SuperpageFrame = 0x4000_0000;

    // Level-2 entry for IOVA 0x1020_0000 (index 0x81): a table (R/W, read-only, reserved bit 11), a 2 MiB page
    // (aligned, misaligned, into the interrupt window), or nothing. The entry for 0x1040_0000 (index 0x82) is
    // a table at 0x4000_0000, the 2 MiB page's frame, with the same leaves: a walk that went on below a 2 MiB
    // leaf would find that page remembered and read it as a table.
    private static readonly ulong[] _directoryEntries =
    [
        VtdRig.Pt | 3, VtdRig.Pt | 1, VtdRig.Pt | 3 | 0x800, SuperpageFrame | 0x80 | 3,
        0x4000_1000 | 0x80 | 3, 0xFEE0_0000 | 0x80 | 3, 0,
    ];

    // Leaf entries: R/W, R, W, not present, reserved bit 11, PS at level 1 (ignored there), the interrupt
    // window, an address beyond the host address width.
    private static readonly ulong[] _leafEntries =
    [
        Page | 3, Page | 1, Page | 2, 0, Page | 3 | 0x800, Page | 3 | 0x80, 0xFEE0_0000 | 3, (1UL << 50) | 3,
    ];

    [Fact]
    public void A_walk_over_remembered_tables_answers_as_a_walk_over_cold_ones()
    {
        var gen = Gen.Select(
            Gen.Int[0, _directoryEntries.Length - 1],
            Gen.Int[0, _leafEntries.Length - 1].Array[LeafSlots],
            Gen.Select(Gen.Int[0, 2 * LeafSlots - 1], Gen.Bool).Array[1, 40]);
        gen.Sample((directory, leaves, queries) =>
        {
            var directoryEntry = _directoryEntries[directory];
            var leafEntries = leaves.Select(i => _leafEntries[i]).ToArray();
            var warm = Build(directoryEntry, leafEntries);
            foreach (var (slot, write) in queries)
            {
                var iova = (slot < LeafSlots ? 0x1020_0000UL : 0x1040_0000UL) + (ulong)(slot % LeafSlots) * 0x1000 + 0x18;
                var got = warm.Dma(Sid, iova, write);
                var cold = Build(directoryEntry, leafEntries).Dma(Sid, iova, write);
                Assert.Equal(cold.Outcome, got.Outcome);
                Assert.Equal(cold.FaultReason, got.FaultReason);
                Assert.Equal(cold.Address, got.Address);
                Assert.Equal(cold.PageShift, got.PageShift);
                Assert.Equal((cold.CanRead, cold.CanWrite), (got.CanRead, got.CanWrite));
            }
        }, iter: 300);
    }

    [Fact]
    public void A_reserved_bit_in_a_leaf_next_to_a_walked_one_still_faults_with_0xc()
    {
        // The first walk leaves all four tables remembered; the second walks them again without a call.
        var rig = Build(VtdRig.Pt | 3, [Page | 3, Page | 3 | 0x800, 0, 0, 0, 0, 0, 0]);
        Assert.True(rig.Dma(Sid, 0x1020_0000).IsSuccess);
        Assert.Equal(VtdFaultReason.PagingEntryReserved, rig.Dma(Sid, 0x1020_1000).FaultReason);
        Assert.Equal(VtdFaultReason.WriteNotPermitted, rig.Dma(Sid, 0x1020_2000).FaultReason);
    }

    private static VtdRig Build(ulong directoryEntry, ulong[] leafEntries)
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.SetContext(0, Sid, VtdRig.Pml4);
        rig.Pte(VtdRig.Pml4, 0, VtdRig.Pdpt | 3);
        rig.Pte(VtdRig.Pdpt, 0, VtdRig.Pd | 3);
        rig.Pte(VtdRig.Pd, 0x81, directoryEntry);
        rig.Pte(VtdRig.Pd, 0x82, SuperpageFrame | 3);
        for (var i = 0; i < leafEntries.Length; i++)
        {
            rig.Pte(VtdRig.Pt, i, leafEntries[i]);
            rig.Pte(SuperpageFrame, i, leafEntries[i]);
        }
        return rig;
    }
}
