using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;

namespace DmaSim.Hardware.Tests.Platform;

/// <summary>
/// A transaction's segments are its page-sized pieces (each translated on its own, split where the driven address
/// crosses 4 KiB) kept as maximal runs: expanded piece by piece they are exactly the pieces, and no two neighbours
/// could have been one run.
/// </summary>
public class DmaFabricRunTests
{
    private static readonly Bdf _device = new(0, 3, 0);
    private const int Pages = 64;

    // Each driven page goes to a page drawn for it (pages in a stretch follow one another, then a jump).
    private sealed class TableRemapper(ulong[] physPageOf) : IDmaRemapper
    {
        public string Name => "test-unit";

        public RemapResult Remap(ushort sourceId, ulong address, bool isWrite) =>
            RemapResult.Untranslated((physPageOf[(address >> 12) % Pages] << 12) | (address & 0xfff));
    }

    private sealed record Case(int AddressBits, ulong Dma, int Length, ulong[] PhysPageOf, ulong OwnerStripe);

    private static readonly Gen<ulong[]> _tables = Gen.Select(Gen.Int[0, 3].Array[Pages], Gen.ULong[0x100, 0x800].Array[Pages])
        .Select((kinds, jumps) =>
        {
            var t = new ulong[Pages];
            for (var i = 0; i < Pages; i++) t[i] = i > 0 && kinds[i] != 0 ? t[i - 1] + 1 : jumps[i];
            return t;
        });

    // DMA addresses just below a 32- or 36-bit line boundary too, so the driven address wraps inside a transfer.
    private static readonly Gen<Case> _cases = Gen.Select(Gen.OneOf(32, 36, 64), Gen.Bool, Gen.ULong[0, 0x3_0000], Gen.Int[0, 6 * 4096],
            _tables, Gen.ULong[1, 9])
        .Select((bits, nearLines, offset, length, table, stripe) =>
            new Case(bits, nearLines && bits < 64 ? (1UL << bits) - 0x2_0000 + offset : offset, length, table, stripe));

    [Fact]
    public void Runs_expand_to_the_page_pieces_and_no_two_neighbours_could_be_one() =>
        _cases.Sample(c =>
        {
            var (fabric, owners) = Platform(c);
            var tx = fabric.Write(_device, new DmaAddr(c.Dma), new byte[c.Length], DmaLines.Data).Transaction;
            Assert.Equal(Pieces(c, owners), Expand(tx.Segments));
            for (var i = 1; i < tx.Segments.Count; i++)
            {
                var (a, b) = (tx.Segments[i - 1], tx.Segments[i]);
                Assert.False(b.Driven == a.Driven + (ulong)a.Length && b.Physical.Value == a.Physical.Value + (ulong)a.Length
                    && ReferenceEquals(a.Owner, b.Owner), $"runs {i - 1} and {i} follow one another");
            }
        }, iter: 2000);

    private static (DmaFabric, FrameOwners) Platform(Case c)
    {
        var owners = new FrameOwners();
        // Owners in stripes of a few pages, so contiguous memory can change hands inside a transfer.
        var stripe = c.OwnerStripe << 12;
        for (ulong start = 0, n = 0; start < 0x90_0000; start += stripe, n++)
            owners.Assign(new PhysRange(new PhysAddr(start), new PhysAddr(start + stripe - 1)), n % 2 == 0 ? FrameOwner.Free : new FrameOwner(OwnerKind.KernelBuffer, "dev", $"b{n}"));
        var pci = new PciTopology();
        pci.Add(new PciFunction(_device, "dev", PciFunctionKind.Endpoint, true));
        var fabric = new DmaFabric(new PhysicalMemory(40), owners, pci, new EventStream(new SimClock()));
        fabric.AddPort(new DmaPort("dev", _device, c.AddressBits, c.AddressBits));
        fabric.WireRemapping(_ => new TableRemapper(c.PhysPageOf));
        return (fabric, owners);
    }

    // The pieces as the fabric performs them, one per driven page, written out independently of the runs.
    private static List<DmaSegment> Pieces(Case c, FrameOwners owners)
    {
        var pieces = new List<DmaSegment>();
        var lineMask = c.AddressBits == 64 ? ulong.MaxValue : (1UL << c.AddressBits) - 1;
        for (var done = 0; done < c.Length;)
        {
            var issued = c.Dma + (ulong)done;
            var driven = issued & lineMask;
            var length = (int)Math.Min((ulong)(c.Length - done), 4096 - (driven & 0xfff));
            var phys = new PhysAddr((c.PhysPageOf[(driven >> 12) % Pages] << 12) | (driven & 0xfff));
            pieces.Add(new DmaSegment(issued, driven, phys, length, owners.OwnerOf(phys)));
            done += length;
        }
        return pieces;
    }

    private static List<DmaSegment> Expand(IReadOnlyList<DmaSegment> runs)
    {
        var pieces = new List<DmaSegment>();
        foreach (var run in runs)
            for (ulong at = 0; at < (ulong)run.Length;)
            {
                var piece = run.PieceAt(at);
                Assert.Equal(run.PieceAt(at + (ulong)piece.Length - 1), piece); // every byte of a piece names that piece
                pieces.Add(piece);
                at += (ulong)piece.Length;
            }
        return pieces;
    }
}
