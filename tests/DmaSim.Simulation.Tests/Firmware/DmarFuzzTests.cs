using System.Buffers.Binary;
using System.Diagnostics;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Simulation.Firmware;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Firmware;

/// <summary>
/// Property: whatever is done to a real table (bit flips, truncation, extension, length-field edits, structure
/// and scope length edits), Parse either returns a table or throws <see cref="InputException"/>; Lint and Encode of
/// a parsed table never throw; and no single case takes long (the parser's loops are bounded by checked lengths).
/// </summary>
public sealed class DmarFuzzTests
{
    private static readonly byte[][] _tables = [.. DmarCorpus.Names.Select(DmarCorpus.Dat)];

    private static byte[] Mutate(byte[] original, int kind, ulong seed)
    {
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var b = (byte[])original.Clone();
        switch (kind)
        {
            case 0: // flip 1–8 random bits
                for (var i = rng.Next(1, 9); i > 0; i--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                break;
            case 1: // truncate, keeping or fixing the length field
                b = b[..rng.Next(b.Length)];
                if (b.Length >= 8 && rng.Next(2) == 0) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)b.Length);
                break;
            case 2: // extend with random bytes and claim them
                b = [.. b, .. Enumerable.Range(0, rng.Next(1, 64)).Select(_ => (byte)rng.Next(256))];
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(rng.Next(2) == 0 ? b.Length : rng.Next()));
                break;
            case 3: // table length field
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), rng.Next(3) switch { 0 => 0u, 1 => uint.MaxValue, _ => (uint)rng.Next(b.Length * 2) });
                break;
            default: // a structure or scope length field: walk to a random structure and edit its length or a scope byte
                var offsets = new List<int>();
                for (var at = 48; at + 4 <= b.Length;)
                {
                    offsets.Add(at);
                    var len = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at + 2));
                    if (len == 0) break;
                    at += len;
                }
                var s = offsets[rng.Next(offsets.Count)];
                if (rng.Next(2) == 0)
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(s + 2), (ushort)(rng.Next(4) == 0 ? 0 : rng.Next(0, 80)));
                else
                    b[Math.Min(b.Length - 1, s + 16 + rng.Next(24))] = (byte)rng.Next(0, 20);
                break;
        }
        // Half the cases keep a valid checksum so corruption reaches past the checksum fact.
        if (b.Length >= 10 && rng.Next(2) == 0)
        {
            b[9] = 0;
            byte sum = 0;
            foreach (var x in b) sum += x;
            b[9] = (byte)(0 - sum);
        }
        return b;
    }

    [Fact]
    public void Corrupted_tables_raise_only_InputException_and_never_hang()
    {
        var parsed = 0;
        var refused = 0;
        var slowest = TimeSpan.Zero;
        Gen.Select(Gen.Int[0, _tables.Length - 1], Gen.Int[0, 4], Gen.ULong)
            .Sample((table, kind, seed) =>
            {
                var bytes = Mutate(_tables[table], kind, seed);
                var clock = Stopwatch.StartNew();
                try
                {
                    var t = DmarCodec.Parse(bytes, "fuzz.dat");
                    DmarLint.Run(t, DmarLintContext.None);
                    var again = DmarCodec.Encode(t);
                    // Every accepted table round-trips apart from a repaired checksum.
                    again[9] = bytes[9];
                    Assert.Equal(bytes, again);
                    Interlocked.Increment(ref parsed);
                }
                catch (InputException e)
                {
                    Assert.StartsWith("fuzz.dat: error: at byte offset ", e.Message, StringComparison.Ordinal);
                    Assert.InRange(e.Where.ByteOffset, 0, bytes.Length);
                    Interlocked.Increment(ref refused);
                }
                clock.Stop();
                lock (_tables) if (clock.Elapsed > slowest) slowest = clock.Elapsed;
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"one case took {clock.Elapsed}");
            }, iter: 10_000, threads: 1, seed: "0N0XIzNsQ0O2");
        Assert.Equal(10_000, parsed + refused);
        Assert.True(parsed > 500 && refused > 500, $"parsed {parsed}, refused {refused}: the mutations should exercise both paths");
    }

    [Fact]
    public void Random_bytes_behind_a_valid_header_raise_only_InputException()
    {
        Gen.Byte.Array[0, 300].Sample(tail =>
        {
            var header = (byte[])_tables[1][..48].Clone();
            var bytes = new byte[48 + tail.Length];
            header.CopyTo(bytes, 0);
            tail.CopyTo(bytes, 48);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)bytes.Length);
            try
            {
                DmarLint.Run(DmarCodec.Parse(bytes, "r.dat"));
            }
            catch (InputException)
            {
                // refused with a byte offset: fine
            }
        }, iter: 5_000, threads: 1);
    }

    [Fact]
    public void Corrupted_acpidump_text_raises_only_InputException_naming_a_line()
    {
        var texts = DmarCorpus.Names.Select(n => DmarCorpus.PathOf(n, ".acpidump.txt")).Where(File.Exists).Select(File.ReadAllText).ToArray();
        const string alphabet = "0123456789ABCDEFabcdefg :\n\r .@xDMAR";
        Gen.Select(Gen.Int[0, texts.Length - 1], Gen.Int[1, 6], Gen.ULong).Sample((which, edits, seed) =>
        {
            var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
            var chars = texts[which].ToCharArray().ToList();
            for (var i = 0; i < edits; i++)
            {
                var at = rng.Next(chars.Count);
                switch (rng.Next(3))
                {
                    case 0: chars[at] = alphabet[rng.Next(alphabet.Length)]; break;
                    case 1: chars.RemoveAt(at); break;
                    default: chars.Insert(at, alphabet[rng.Next(alphabet.Length)]); break;
                }
            }
            try
            {
                DmarCodec.ParseAcpidump(new string([.. chars]), "fuzz.txt");
            }
            catch (InputException e)
            {
                Assert.StartsWith("fuzz.txt", e.Message, StringComparison.Ordinal);
            }
        }, iter: 3_000, threads: 1);
    }
}
