using System.Text.Json;
using DmaSim.Hardware.Acpi;
using DmaSim.Testing;

namespace DmaSim.Cli.Tests;

/// <summary>`dmasim dmar decode|lint` end to end: the built dmasim.dll run with `dotnet`, checked for exit code and output.</summary>
public sealed class DmarCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dmasim-dmar-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var r = Dmasim.Run(args);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }

    private static string Table(string name) => SharedData.Path_("dmar", name);

    [Fact]
    public void Decode_json_gives_one_object_per_file_and_an_array_for_several()
    {
        var (code, output, err) = Run("dmar", "decode", "--format", "json", Table("supermicro-x10dai_4A64A6094FE3.acpidump.txt"));
        Assert.True(code == ExitCodes.Ok, err);
        using var one = JsonDocument.Parse(output);
        Assert.Equal("DMAR", one.RootElement.GetProperty("signature").GetString());
        Assert.Equal(46, one.RootElement.GetProperty("hostAddressWidth").GetInt32());
        var structures = one.RootElement.GetProperty("structures");
        Assert.Equal("DRHD", structures[0].GetProperty("type").GetString());
        Assert.Equal("0xfbffc000", structures[0].GetProperty("base").GetString());
        var ioapic = structures[0].GetProperty("scopes")[0];
        Assert.Equal("ioapic", ioapic.GetProperty("type").GetString());
        Assert.Equal(0x80, ioapic.GetProperty("startBus").GetInt32());
        Assert.Equal("05.4", ioapic.GetProperty("path")[0].GetString());
        Assert.Equal(1u, structures[6].GetProperty("proximityDomain").GetUInt32());

        (code, output, _) = Run("dmar", "decode", "--format", "json", Table("asrock-h510m-hdv_CDCD2D2EB373.dat"), Table("lenovo-thinkpad-t410_1C0315195E84.dat"));
        Assert.Equal(ExitCodes.Ok, code);
        using var two = JsonDocument.Parse(output);
        Assert.Equal(2, two.RootElement.GetArrayLength());
    }

    [Fact]
    public void Decode_text_uses_iasl_field_names()
    {
        var (code, output, _) = Run("dmar", "decode", Table("lenovo-thinkpad-t410_1C0315195E84.dat"));
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("[024h 0036   1]           Host Address Width : 23", output, StringComparison.Ordinal);
        Assert.Contains("End Address (limit) : 00000000BF2FFFFF", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_table_exits_2_naming_the_byte_offset()
    {
        var bytes = File.ReadAllBytes(Table("asrock-h510m-hdv_CDCD2D2EB373.dat"));
        bytes[50] = 0;
        bytes[51] = 0;
        var path = Path.Combine(_dir, "zero.dat");
        File.WriteAllBytes(path, bytes);
        var (code, output, err) = Run("dmar", "decode", path);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("", output);
        Assert.StartsWith($"{path}: error: at byte offset 50 (0x32): DRHD structure has length 0", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Lint_exits_1_on_an_error_finding_and_0_on_a_clean_table()
    {
        var broken = DmarBuilder.BuildBytes(new DmarMachineSpec(39, [new DmarUnitSpec(0, true, [])], []));
        var path = Path.Combine(_dir, "zero-base.dat");
        File.WriteAllBytes(path, broken);
        var (code, output, _) = Run("dmar", "lint", path);
        Assert.Equal(ExitCodes.ExpectationFailed, code);
        Assert.Contains("DMAR reported at address 0!", output, StringComparison.Ordinal);

        (code, output, _) = Run("dmar", "lint", "--format", "json", Table("dell-latitude-9420_8A77983183EB.dat"),
            "--dmesg", SharedData.Path_("dmesg", "dell-latitude-9420_8A77983183EB_6.2.10-arch1-1.dmesg.txt"));
        Assert.Equal(ExitCodes.Ok, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(0, doc.RootElement.GetProperty("errors").GetInt32());
    }
}
