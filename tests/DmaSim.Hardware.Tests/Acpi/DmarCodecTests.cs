using System.Buffers.Binary;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;
using DmaSim.Hardware.Pci;
using static DmaSim.Testing.DmarCorpus;

namespace DmaSim.Hardware.Tests.Acpi;

/// <summary>Malformed inputs, the checksum fact, the acpidump reader's line errors, and the builder.</summary>
public sealed class DmarCodecTests
{
    private const string Small = "asrock-h510m-hdv_CDCD2D2EB373"; // 80 bytes: header + one DRHD with IOAPIC + HPET scopes

    private static InputException ParseFails(byte[] bytes) =>
        Assert.Throws<InputException>(() => DmarCodec.Parse(bytes, "t.dat"));

    private static byte[] WithChecksum(byte[] bytes)
    {
        bytes[9] = 0;
        byte sum = 0;
        foreach (var b in bytes) sum += b;
        bytes[9] = (byte)(0 - sum);
        return bytes;
    }

    [Fact]
    public void Wrong_signature_is_refused_at_offset_0()
    {
        var bytes = Dat(Small);
        bytes[0] = (byte)'F';
        var e = ParseFails(bytes);
        Assert.Equal(0, e.Where.ByteOffset);
        Assert.StartsWith("t.dat: error: at byte offset 0 (0x0): not a DMAR table", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Length_beyond_the_buffer_is_refused_at_the_length_field()
    {
        var e = ParseFails(Dat(Small)[..60]);
        Assert.Equal(4, e.Where.ByteOffset);
        Assert.Contains("exceeds the 60 bytes available", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_after_the_table_are_refused()
    {
        var e = ParseFails([.. Dat(Small), 0, 0]);
        Assert.Equal(80, e.Where.ByteOffset);
    }

    [Fact]
    public void A_wrong_checksum_is_a_fact_not_an_error()
    {
        var bytes = Dat(Small);
        bytes[9] ^= 0x5a;
        var table = DmarCodec.Parse(bytes, "t.dat");
        Assert.False(table.ChecksumOk);
        Assert.True(DmarCodec.Parse(Dat(Small), "t.dat").ChecksumOk);
        var fixedBytes = DmarCodec.Encode(table);
        Assert.Equal(Dat(Small), fixedBytes);
    }

    [Fact]
    public void Zero_length_structure_is_refused_naming_its_length_field()
    {
        var bytes = Dat(Small);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(50), 0);
        var e = ParseFails(WithChecksum(bytes));
        Assert.Equal(50, e.Where.ByteOffset);
        Assert.Contains("length 0", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Structure_shorter_than_its_fixed_part_is_refused()
    {
        var bytes = Dat(Small);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(50), 12);
        var e = ParseFails(WithChecksum(bytes));
        Assert.Equal(50, e.Where.ByteOffset);
        Assert.Contains("DRHD structure length 12 is shorter than its 16-byte fixed part", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Structure_overrunning_the_table_is_refused()
    {
        var bytes = Dat(Small);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(50), 40);
        var e = ParseFails(WithChecksum(bytes));
        Assert.Equal(50, e.Where.ByteOffset);
        Assert.Contains("runs past the table end", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_scope_lengths_are_refused_at_the_scope_length_byte()
    {
        var bytes = Dat(Small);
        bytes[65] = 7; // first scope (offset 64): odd length
        Assert.Equal(65, ParseFails(WithChecksum(bytes)).Where.ByteOffset);
        bytes[65] = 2; // shorter than a scope header
        Assert.Equal(65, ParseFails(WithChecksum(bytes)).Where.ByteOffset);
        bytes[65] = 40; // past the DRHD's end
        Assert.Equal(65, ParseFails(WithChecksum(bytes)).Where.ByteOffset);
    }

    [Fact]
    public void Trailing_partial_structure_header_is_refused()
    {
        var bytes = Dat(Small);
        var longer = new byte[bytes.Length + 2];
        bytes.CopyTo(longer, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(longer.AsSpan(4), (uint)longer.Length);
        var e = ParseFails(WithChecksum(longer));
        Assert.Equal(80, e.Where.ByteOffset);
        Assert.Contains("truncated structure header", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_structure_types_are_kept_whole_and_re_encoded()
    {
        var table = DmarBuilder.Build(new DmarMachineSpec(39, [new DmarUnitSpec(0xfed90000, true, [])], [])
        {
            Extra = [new UnknownDmarStructure(0, 0, 9, [9, 0, 6, 0, 0xab, 0xcd])],
        });
        var unknown = Assert.IsType<UnknownDmarStructure>(table.Structures[^1]);
        Assert.Equal(9, unknown.RawType);
        Assert.Equal(new byte[] { 9, 0, 6, 0, 0xab, 0xcd }, unknown.Bytes.ToArray());
        Assert.Equal(DmarCodec.Encode(table), DmarCodec.Encode(DmarCodec.Parse(DmarCodec.Encode(table), "x")));
    }

    [Fact]
    public void Acpidump_errors_name_the_line()
    {
        var path = PathOf(Small, ".acpidump.txt");
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("DMAR @ 0x", lines[0].Trim(), StringComparison.Ordinal);

        var badHex = (string[])lines.Clone();
        badHex[2] = badHex[2].Replace(" 00 ", " 0G ", StringComparison.Ordinal);
        var e = Assert.Throws<InputException>(() => DmarCodec.ParseAcpidump(string.Join('\n', badHex), "d.txt"));
        Assert.Equal(3, e.Where.Line);
        Assert.StartsWith("d.txt:3:", e.Message, StringComparison.Ordinal);

        var gap = lines.Where((_, i) => i != 2).ToArray();
        e = Assert.Throws<InputException>(() => DmarCodec.ParseAcpidump(string.Join('\n', gap), "d.txt"));
        Assert.Equal(3, e.Where.Line);
        Assert.Contains("does not follow", e.Problem, StringComparison.Ordinal);

        // A dump of other tables says which it holds, not "signature is FACP".
        e = Assert.Throws<InputException>(() => DmarCodec.ParseAcpidump("FACP @ 0x0\n    0000: 00\n", "d.txt"));
        Assert.Equal("no DMAR table in this dump (found: FACP)", e.Problem);
        e = Assert.Throws<InputException>(() => DmarCodec.ParseAcpidump("DMAR\n----\n", "d.txt"));
        Assert.Contains("\"Raw Table Data:\" dump", e.Problem, StringComparison.Ordinal);

        // A table error inside the hex names the byte and the line that holds it.
        var cut = lines.Take(3).ToArray(); // 32 bytes: shorter than the header
        e = Assert.Throws<InputException>(() => DmarCodec.ParseAcpidump(string.Join('\n', cut), "d.txt"));
        Assert.Equal(3, e.Where.Line);
        Assert.Contains("table byte offset 32", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_a_missing_file_as_bad_input()
    {
        var e = Assert.Throws<InputException>(() => DmarCodec.Load("/nonexistent/dmar.dat"));
        Assert.Contains("cannot read", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_output_re_parses_to_the_same_model()
    {
        var spec = new DmarMachineSpec(
            46,
            [
                new DmarUnitSpec(0xfed91000, true, [DeviceScope.IoApic(2, new Bdf(0xf0, 0x1f, 0)), DeviceScope.Hpet(0, new Bdf(0, 0x1e, 6))]),
                new DmarUnitSpec(0xfed90000, false, [DeviceScope.Endpoint(new Bdf(0, 2, 0))], Size: 1),
            ],
            [new DmarRmrrSpec(new PhysRange(0x7f5f0000, 0x7f5fffff), [DeviceScope.Endpoint(new Bdf(0, 0x1d, 0)), DeviceScope.Endpoint(new Bdf(0, 0x1a, 0))])])
        {
            Flags = DmarTable.IntrRemapFlag | DmarTable.DmaCtrlPlatformOptInFlag,
            Extra = [Andd.Create(1, "\\_SB.PCI0.I2C0")],
        };
        var bytes = DmarBuilder.BuildBytes(spec);
        var table = DmarBuilder.Build(spec);
        Assert.True(table.ChecksumOk);
        Assert.Equal(bytes, DmarCodec.Encode(table));
        Assert.Equal(table, DmarCodec.Parse(bytes, "b"));
        Assert.Equal(table.GetHashCode(), DmarCodec.Parse(bytes, "b").GetHashCode());
        Assert.Equal(DmarText.Format(table), DmarText.Format(DmarCodec.Parse(bytes, "b")));

        Assert.Equal(46, table.HostAddressWidth);
        Assert.Equal(5, table.Flags);
        var drhds = table.Drhds.ToList();
        Assert.Equal(2, drhds.Count);
        Assert.False(drhds[0].IncludePciAll); // the catch-all unit is emitted last
        Assert.Equal(0xfed90000UL, drhds[0].RegisterBase);
        Assert.Equal(8192UL, drhds[0].RegisterSetBytes);
        Assert.True(drhds[1].IncludePciAll);
        Assert.Equal(DeviceScopeType.IoApic, drhds[1].Scopes[0].Type);
        Assert.Equal(2, drhds[1].Scopes[0].EnumerationId);
        Assert.Equal("f0:1f.0", drhds[1].Scopes[0].Describe());
        var rmrr = Assert.Single(table.Rmrrs);
        Assert.Equal(0x7f5f0000UL, rmrr.Base);
        Assert.Equal(0x7f5fffffUL, rmrr.EndLimit);
        Assert.Equal(["00:1d.0", "00:1a.0"], rmrr.Scopes.Select(s => s.Describe()));
        var andd = Assert.IsType<Andd>(table.Structures[^1]);
        Assert.Equal("\\_SB.PCI0.I2C0", andd.ObjectName);
        Assert.True(andd.NameTerminated);
        Assert.Equal(48 + 16 + 16 + 16 + 8 + 24 + 16 + 8 + 15, (int)table.Length);
    }

    [Fact]
    public void Model_equality_compares_contents_not_array_references()
    {
        var a = DmarCodec.Parse(Dat(Small), "a");
        var b = DmarCodec.Parse(Dat(Small), "b");
        Assert.Equal(a, b);
        var drhd = (Drhd)b.Structures[0];
        var otherScope = drhd with { DeviceScopes = [drhd.DeviceScopes[0] with { Path = [new PciPathEntry(0x1e, 6)] }, drhd.DeviceScopes[1]] };
        Assert.NotEqual(a, b with { Structures = [otherScope] });
        Assert.NotEqual(a, b with { Reserved = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
        Assert.Equal(a.Structures[0], drhd with { DeviceScopes = [.. drhd.DeviceScopes] });
        Assert.Empty(new Drhd(0, 0, 0, 0, 0, 0xfed90000, default).Scopes);
    }

    [Fact]
    public void Builder_refuses_what_cannot_be_encoded()
    {
        Assert.Throws<ArgumentException>(() => DmarBuilder.BuildBytes(new DmarMachineSpec(0, [], [])));
        var tooLong = new DeviceScope(DeviceScopeType.Endpoint, 0, 0, [.. Enumerable.Repeat(new PciPathEntry(1, 0), 200)]);
        Assert.Throws<ArgumentException>(() => DmarBuilder.BuildBytes(new DmarMachineSpec(39, [new DmarUnitSpec(0xfed90000, true, [tooLong])], [])));
    }
}
