using System.Globalization;
using System.Text;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Acpi;

namespace DmaSim.Fuzz.Tests;

/// <summary>Generators for the non-scenario inputs: DMAR bytes, acpidump text, dmesg, IOVA traces, CLI options.</summary>
internal static class InputGens
{
    private static readonly Gen<DeviceScope> _scope = Gen.Select(Gen.Int[1, 6], Gen.Byte, Gen.Byte[0, 0x1f], Gen.Byte[0, 7], Gen.Int[0, 3])
        .Select((type, bus, dev, fn, extra) => new DeviceScope((DeviceScopeType)type, 0, bus,
            [new PciPathEntry(dev, fn), .. Enumerable.Range(0, extra).Select(i => new PciPathEntry((byte)i, 0))]));

    private static readonly Gen<DmarUnitSpec> _unit = Gen.Select(Gen.ULong, Gen.Bool, _scope.Array[0, 4])
        .Select((b, all, scopes) => new DmarUnitSpec(b & ~0xfffUL, all, all ? [] : scopes));

    private static readonly Gen<DmarRmrrSpec> _rmrr = Gen.Select(Gen.ULong[0, 1UL << 40], Gen.ULong[0, 1UL << 24], _scope.Array[0, 3])
        .Select((start, length, scopes) => new DmarRmrrSpec(new PhysRange(new PhysAddr(start), new PhysAddr(start + length)), scopes));

    /// <summary>A well-formed table from random units and RMRRs.</summary>
    public static readonly Gen<byte[]> DmarTable = Gen.Select(Gen.Int[1, 256], _unit.Array[0, 4], _rmrr.Array[0, 3])
        .Select((haw, units, rmrrs) => DmarBuilder.BuildBytes(new DmarMachineSpec(haw, units, rmrrs)));

    /// <summary>A table, and in most cases a few flipped, overwritten or cut bytes (lengths and types included).</summary>
    public static readonly Gen<byte[]> DmarBytes = Gen.Select(DmarTable, Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1 << 16], Gen.Byte).Array[0, 6])
        .Select((bytes, edits) => edits.Aggregate(bytes, (b, e) => Mutations.Apply(b, e.Item1, e.Item2, e.Item3)));

    /// <summary>acpidump text of (mutated) table bytes, itself sometimes mutated as text.</summary>
    public static readonly Gen<string> Acpidump = Gen.Select(DmarBytes, Gen.Int[0, 5], Gen.Int[0, 100_000], Gen.Int[0, 40], Gen.Char)
        .Select((bytes, kind, at, length, c) => Mutations.Apply(AcpidumpText(bytes), kind, at, length, c));

    /// <summary>The acpidump layout: "DMAR @ 0x…", then 16 bytes a line as "  OFFS: hh hh … ascii".</summary>
    public static string AcpidumpText(byte[] bytes)
    {
        var sb = new StringBuilder("DMAR @ 0x000000007F6F0000\n");
        for (var i = 0; i < bytes.Length; i += 16)
        {
            var line = bytes.AsSpan(i, Math.Min(16, bytes.Length - i));
            sb.Append(CultureInfo.InvariantCulture, $"  {i:X4}: ");
            foreach (var b in line) sb.Append(CultureInfo.InvariantCulture, $"{b:X2} ");
            sb.Append(' ', (16 - line.Length) * 3).Append(' ');
            foreach (var b in line) sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
            sb.Append('\n');
        }
        return sb.Append('\n').ToString();
    }

    private static readonly Gen<string> _hex16 = Gen.OneOf(Gen.ULong.Select(v => v.ToString("x16", CultureInfo.InvariantCulture)),
        Gen.OneOf("0000000000000000", "000000000009ffff", "0000000000100000", "00000000bfffffff", "0000000100000000", "000000023fffffff", "ffffffffffffffff"));

    private static readonly Gen<string> _decimal = Gen.Frequency((20, Gen.Int[0, 99].Select(v => v.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.OneOf(Gen.Int[100, 5000].Select(v => v.ToString(CultureInfo.InvariantCulture)), Gen.OneOf("99999999999", "2147483648", "18446744073709551616", "-1"))));

    private static readonly Gen<string> _logLine = Gen.OneOf(
        Gen.Select(_hex16, _hex16, Gen.OneOf("usable", "reserved", "ACPI data", "ACPI NVS", "unusable", "type 12", "bogus"))
            .Select((a, b, t) => $"BIOS-e820: [mem 0x{a}-0x{b}] {t}"),
        _decimal.Select(h => $"DMAR: Host address width {h}"),
        Gen.Select(_hex16, Gen.Byte).Select((b, f) => $"DMAR: DRHD base: 0x{b[4..]} flags: 0x{f:x}"),
        Gen.Select(_hex16, _hex16).Select((a, b) => $"DMAR: RMRR base: 0x{a[4..]} end: 0x{b[4..]}"),
        Gen.Select(_hex16, _decimal, Gen.ULong, Gen.ULong).Select((b, v, cap, ecap) => $"DMAR: dmar0: reg_base_addr {b.TrimStart('0')} ver {v}:0 cap {cap:x} ecap {ecap:x}"),
        Gen.Select(Gen.Byte, Gen.Byte[0, 0x1f], Gen.Byte[0, 7], _decimal).Select((bus, d, f, g) => $"pci 0000:{bus:x2}:{d:x2}.{f}: Adding to iommu group {g}"),
        Gen.Select(Gen.Byte, Gen.Byte[0, 0x1f], Gen.Byte[0, 7], Gen.Int[0, 2]).Select((bus, d, f, t) => $"pci 0000:{bus:x2}:{d:x2}.{f}: [8086:1234] type {t:x2} class 0x0c0330"),
        Gen.Select(Gen.Byte, Gen.Byte[0, 0x1f], Gen.Byte[0, 7], _decimal).Select((bus, d, f, g) => $"iommu: Adding device 0000:{bus:x2}:{d:x2}.{f} to group {g}"),
        Gen.OneOf("Linux version 5.4.0-4-amd64 (x@y) (gcc version 9.2.1) #1 SMP", "Linux version 2.6.32-rc5 (x@y)", "Command line: intel_iommu=on iommu=pt",
            "DMAR: IOMMU enabled", "DMAR: Intel(R) Virtualization Technology for Directed I/O", "random noise", ""));

    /// <summary>A kernel log: a memory map and DMAR lines in some order, timestamps on most lines.</summary>
    public static readonly Gen<string> Dmesg = Gen.Select(_logLine.Array[1, 40], Gen.Bool)
        .Select((lines, stamps) =>
        {
            var header = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n";
            return header + string.Concat(lines.Select((l, i) => (stamps ? $"[    {i}.{i:D6}] " : "") + l + "\n"));
        });

    private static readonly Gen<string> _treeLine = Gen.OneOf(
        Gen.Select(Gen.Int[0, 20], _decimal, _decimal, Gen.OneOf(_decimal, Gen.Const("fail"))).Select((id, size, limit, lo) => $"alloc,{id},{size},{limit},{lo},{(lo == "fail" ? "" : lo)}"),
        Gen.Int[0, 20].Select(id => $"free,{id}"),
        _decimal.Select(p => $"freepfn,,,,{p}"),
        Gen.OneOf("alloc,1,18446744073709551615,4095,0,0", "alloc,1,0x8000000000000001,0xffffffff,fail,", "nonsense", "# comment", ""));

    private static readonly Gen<string> _fastLine = Gen.OneOf(
        Gen.Select(_decimal, _decimal, Gen.OneOf(_decimal, Gen.Const("fail"))).Select((size, limit, r) => $"alloc,{size},{limit},{r}"),
        Gen.Select(_decimal, _decimal).Select((pfn, size) => $"free,{pfn},{size}"),
        Gen.OneOf("alloc,18446744073709551615,4095,fail", "alloc,1,1,1,1", "x"));

    /// <summary>An IOVA trace of either kind, with out-of-range numbers among the ordinary ones.</summary>
    public static readonly Gen<string> IovaTrace = Gen.OneOf(
        _treeLine.Array[0, 60].Select(l => "op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi\n" + string.Join('\n', l)),
        _fastLine.Array[0, 60].Select(l => "op,size,limit_pfn,result_pfn\n" + string.Join('\n', l)),
        Gen.String[0, 200]);

    /// <summary>
    /// Command lines: real commands and options with good and bad values, typos, option-looking files.
    /// No --timeout with a valid value (its watchdog ends the process) and bench kept to a few ms.
    /// </summary>
    public static Gen<string[]> CommandLine(string seedFile, string missing, string directory) => Gen.OneOf(
        Gen.Select(Gen.OneOf(seedFile, missing, directory, "--frmat", "-x", "--"),
                Gen.OneOf("", "--format", "--profile", "--cmdline", "--html", "--log", "--frmat", "--timeout"),
                Gen.OneOf("json", "text", "xml", "all", "linux-6.1", "rhel-5", "", "0", "-1", directory, missing, "iommu=pt swiotlb=0"))
            .Select((file, option, value) => Args("run", file, option, value)),
        Gen.Select(Gen.OneOf("decode", "lint", "summary", "bogus"), Gen.OneOf(seedFile, missing, directory, "--format"), Gen.OneOf("", "--format", "--e820", "--dmesg"), Gen.OneOf("json", "xml", missing, directory))
            .Select((sub, file, option, value) => Args("dmar", sub, file, option, value)),
        Gen.Select(Gen.OneOf("replay", "bench", "x"), Gen.OneOf(missing, directory, seedFile, "--x"))
            .Select((sub, file) => Args("iova", sub, file)),
        Gen.Select(Gen.OneOf("--threads", "-t", "--granule", "-g", "--dir", "--mode", "--format"), Gen.OneOf("0", "1", "2", "1025", "x", "to-device", "iova", "json", "-5"))
            .Select((option, value) => Args("bench", "--seconds", "0.01", option, value)),
        Gen.Select(Gen.OneOf("--dmesg", "--dmar", "-o", "--bogus"), Gen.OneOf(missing, directory, seedFile, ""))
            .Select((option, value) => Args("import", option, value)),
        Gen.OneOf<string[]>(["--version"], ["--help"], [], ["nosuch"], ["run", "--timeout", "0"], ["run", "--timeout", "x"], ["about"]));

    private static string[] Args(params string[] parts) => [.. parts.Where(p => p.Length > 0)];
}
