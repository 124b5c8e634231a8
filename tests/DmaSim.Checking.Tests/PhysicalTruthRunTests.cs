using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;

namespace DmaSim.Checking.Tests;

/// <summary>
/// The fabric keeps a transaction's page-sized pieces as runs (pieces that follow one another on the bus and in
/// memory and reach one owner). The checker must judge a transaction given as runs exactly as the same transaction
/// given piece by piece: the same findings, naming the same piece, in the same order (an access past the buffer's
/// extent against a stray landing earlier in the run).
/// </summary>
public class PhysicalTruthRunTests
{
    private static readonly Bdf _dev = new(3, 0, 0);
    private static readonly FrameOwner _free = FrameOwner.Free, _other = new(OwnerKind.KernelBuffer, "nic", "rx#1");

    // A transaction of up to 6 pages: each piece continues the previous one in memory or jumps, and keeps its
    // owner or changes it; the intent expects the first piece's page, or one a page off, with or without an extent.
    private sealed record Case(ulong Address, int Length, int[] Jumps, bool[] OwnerFlips, long ExpectedShift, int? Extent, bool WithOwner, bool Write);

    private static readonly Gen<Case> _cases = Gen.Select(Gen.ULong[0x10_0000, 0x10_3fff], Gen.Int[1, 6 * 4096], Gen.Int[0, 2].Array[7], Gen.Bool.Array[7],
            Gen.OneOf(Gen.Const(0L), Gen.Const(4096L), Gen.Const(-4096L)), Gen.Int[0, 7 * 4096].Nullable(), Gen.Bool, Gen.Bool)
        .Select((a, l, j, o, s, e, w, wr) => new Case(a, l, j, o, s, e, w, wr));

    [Fact]
    public void A_transaction_as_runs_is_judged_as_the_same_transaction_piece_by_piece() =>
        _cases.Sample(c =>
        {
            var pieces = Pieces(c);
            var intent = new DmaIntent("buf", new PhysAddr((ulong)((long)pieces[0].Physical.Value + c.ExpectedShift)), IsControl: !c.Write)
            {
                Extent = c.Extent is { } e ? (ulong)e : null,
                Owner = c.WithOwner ? _free : null,
            };
            Assert.Equal(Judge(c, pieces, intent), Judge(c, Runs(pieces), intent));
        }, iter: 5000);

    private static List<Finding> Judge(Case c, List<DmaSegment> segments, DmaIntent intent)
    {
        var checker = new PhysicalTruthChecker();
        checker.Observe(new DmaTransactionEvent("dev", _dev, _dev, DmaLines.Data, 64, c.Write, new DmaAddr(c.Address), c.Length,
            segments.ToArray(), false, 0, null, "dmar0", intent));
        return [.. checker.Findings];
    }

    private static List<DmaSegment> Pieces(Case c)
    {
        var pieces = new List<DmaSegment>();
        ulong phys = 0x5000_0000 + (c.Address & 0xfff);
        var owner = _free;
        for (int done = 0, i = 0; done < c.Length; i++)
        {
            var issued = c.Address + (ulong)done;
            var length = (int)Math.Min((ulong)(c.Length - done), 4096 - (issued & 0xfff));
            if (i > 0)
            {
                phys = c.Jumps[i] == 0 ? phys + 0x10_0000 : phys; // a jump to another page, else the next one
                if (c.OwnerFlips[i]) owner = ReferenceEquals(owner, _free) ? _other : _free;
            }
            pieces.Add(new DmaSegment(issued, issued, new PhysAddr(phys), length, owner));
            phys += (ulong)length;
            done += length;
        }
        return pieces;
    }

    // The runs, merged as the fabric merges them (tested against the fabric in DmaFabricRunTests).
    private static List<DmaSegment> Runs(List<DmaSegment> pieces)
    {
        var runs = new List<DmaSegment>();
        foreach (var p in pieces)
        {
            if (runs.Count > 0 && runs[^1] is var r && p.Driven == r.Driven + (ulong)r.Length
                && p.Physical.Value == r.Physical.Value + (ulong)r.Length && ReferenceEquals(p.Owner, r.Owner))
                runs[^1] = r with { Length = r.Length + p.Length };
            else runs.Add(p);
        }
        return runs;
    }
}
