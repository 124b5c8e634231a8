using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Tests.Memory;

/// <summary>
/// <see cref="TableWalkReader"/> reads what <see cref="PhysicalMemory.ReadU64"/> reads, whatever happened to the
/// pages between walks: word writes, whole-page fills kept as rules, discards (whose host arrays go back to the
/// pool and come out again for other pages), pfn sequences laid over pages, and the run's release.
/// </summary>
public class TableWalkReaderTests
{
    private const ulong Base = 0x2_0000_0000;
    private const int Pages = 6;

    private sealed record Op(int Kind, int Page, int Word, ulong Value, int Level);

    private static readonly Gen<Op> _ops =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, Pages - 1], Gen.Int[0, 511], Gen.ULong, Gen.Int[1, 5])
            .Select((kind, page, word, value, level) => new Op(kind, page, word, value, level));

    private static PhysAddr At(int page, int word) => new(Base + ((ulong)page << 12) + ((ulong)word << 3));

    [Fact]
    public void A_walk_reads_the_bytes_plain_reads_see_after_writes_rules_discards_and_sequences() =>
        _ops.Array[1, 60].Sample(ops =>
        {
            var memory = new PhysicalMemory(40);
            var reader = new TableWalkReader(memory);
            foreach (var op in ops)
            {
                var at = At(op.Page, op.Word);
                switch (op.Kind)
                {
                    case 0 or 1 or 2: memory.WriteU64(at, op.Value); break;
                    case 3: memory.Fill(At(op.Page, 0), 4096, (byte)op.Value); break; // a whole page: kept as a rule
                    case 4: memory.Discard(at.Pfn); break;
                    case 5: memory.FillWithPfnSequence(At(op.Page, 0), 1, op.Value & 0xFFFFF, 3); break;
                    default:
                        // A walk: begins, then reads at some levels (a level remembers its own page).
                        reader.BeginWalk();
                        Assert.Equal(memory.ReadU64(at), reader.Read(op.Level, at.Value & ~0xFFFUL, (uint)(at.Value & 0xFFF)));
                        Assert.Equal(memory.ReadU64(at), reader.Read(op.Level, at.Value & ~0xFFFUL, (uint)(at.Value & 0xFFF)));
                        var other = At((op.Page + 1) % Pages, op.Word);
                        Assert.Equal(memory.ReadU64(other), reader.Read(op.Level, other.Value & ~0xFFFUL, (uint)(other.Value & 0xFFF)));
                        break;
                }
            }
        }, iter: 400);

    [Fact]
    public void A_remembered_page_that_was_discarded_and_whose_array_now_holds_another_page_is_not_read()
    {
        var memory = new PhysicalMemory(40);
        var reader = new TableWalkReader(memory);
        var table = At(0, 3);
        memory.WriteU64(table, 0x1234);
        reader.BeginWalk();
        Assert.Equal(0x1234UL, reader.Read(4, table.Value & ~0xFFFUL, (uint)(table.Value & 0xFFF)));
        var epoch = memory.HostPageEpoch;
        memory.Discard(table.Pfn);                     // its array goes to the pool...
        memory.WriteU64(At(1, 3), 0x5678);              // ...and holds page 1 now
        Assert.NotEqual(epoch, memory.HostPageEpoch);
        reader.BeginWalk();
        Assert.Equal(0UL, reader.Read(4, table.Value & ~0xFFFUL, (uint)(table.Value & 0xFFF))); // page 0 reads as zero again, not as page 1's bytes
    }
}
