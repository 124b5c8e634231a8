using CsCheck;

namespace DmaSim.Fuzz.Tests;

/// <summary>
/// Structure-aware scenario YAML: a real `dmasim/v1` skeleton whose numbers, words and lists are drawn
/// from values that matter (page and 4 GiB edges, 2^63, 2^64 − 1, out-of-range widths, bogus words),
/// then, for some cases, a textual mutation (a cut, a duplicated line, stray characters).
/// </summary>
internal static class ScenarioGen
{
    public static readonly string[] Profiles =
        ["linux-2.6.31", "linux-2.6.32-rc5", "linux-2.6.32-rc5+alex", "linux-2.6.32-rc5+dwmw2", "linux-2.6.32", "linux-2.6.33", "linux-3.0",
         "linux-4.19", "linux-5.4", "linux-5.10", "linux-5.15", "linux-6.1", "linux-6.6", "linux-6.12"];

    /// <summary>Numbers at the edges the code computes with.</summary>
    public static readonly Gen<string> Edge = Gen.OneOf(
        Gen.OneOf("0", "1", "7", "512", "4095", "4096", "4KiB", "64KiB", "1MiB", "2GiB", "4GiB", "16GiB", "17GiB", "1TiB",
            "0x7fffffff", "0x80000000", "0xffffffff", "0x100000000", "0x8000000000000000", "0xffffffffffffffff",
            "18446744073709551616", "-1", "1.5", "64MB", "0x", "abc", "\"\""),
        Gen.ULong.Select(v => "0x" + v.ToString("x")),
        Gen.Int[0, 100_000].Select(v => v.ToString()));

    /// <summary>Mostly ordinary sizes (so most scenarios load and run), sometimes an edge.</summary>
    public static readonly Gen<string> Number = Gen.Frequency(
        (30, Gen.OneOf("1", "16", "512", "4KiB", "8KiB", "64KiB", "256KiB", "1MiB")),
        (1, Edge));

    private static readonly Gen<string> _bits = Gen.Frequency(
        (30, Gen.Int[32, 64].Select(v => v.ToString())),
        (1, Gen.OneOf(Gen.Int[0, 70].Select(v => v.ToString()), Gen.OneOf("0", "99999999999", "x"))));

    private static readonly Gen<string> _physBits = Gen.Frequency((30, Gen.OneOf("36", "39", "40", "44", "46")), (1, _bits));

    private static readonly Gen<string> _haw = Gen.Frequency((30, Gen.OneOf("39", "40", "46", "48", "64")), (1, _bits));

    private static readonly Gen<string> _address = Gen.OneOf(
        Gen.OneOf("0x0", "0xfff", "0x9ffff", "0x100000", "0xbfffffff", "0xffffffff", "0x100000000", "0x23fffffff",
            "0xfffffffffff", "0xffffffffffff", "0x8000000fff", "0xffffffffffffffff"),
        Gen.ULong[0, 1UL << 46].Select(v => "0x" + (v & ~0xfffUL).ToString("x")));

    /// <summary>
    /// Ends of RAM: mostly up to 16 GiB, sometimes up to 64 TiB (software identity maps are sparse, so a
    /// terabyte machine costs what it touches), or past the address space (refused).
    /// </summary>
    private static readonly Gen<string> _ramEnd = Gen.Frequency(
        (20, Gen.ULong[1UL << 32, (1UL << 34) - 1].Select(v => "0x" + (v | 0xfffUL).ToString("x"))),
        (3, Gen.ULong[1UL << 34, (1UL << 46) - 1].Select(v => "0x" + (v | 0xfffUL).ToString("x"))),
        (1, Gen.OneOf("0x0", "0xfff", "0xffffffffffffffff", "0x10000000000000")));

    private static readonly Gen<string> _memoryEntry =
        Gen.Select(_ramEnd, _ramEnd, Gen.OneOf("usable", "usable", "reserved", "acpi", "nvs", "unusable", "ram"))
            .Select((a, b, t) => $"    - {{ start: {a}, end: {b}, type: {t} }}");

    private static readonly Gen<string> _memory = Gen.Frequency(
        (6, Gen.Const(string.Join('\n', "    - { start: 0x0, end: 0x9ffff, type: usable }", "    - { start: 0x100000, end: 0xbfffffff, type: usable }",
            "    - { start: 0xc0000000, end: 0xffffffff, type: reserved }", "    - { start: 0x100000000, end: 0x23fffffff, type: usable }"))),
        (1, Gen.Select(_memoryEntry, _memoryEntry).Select((x, y) => string.Join('\n', "    - { start: 0x0, end: 0x9ffff, type: usable }", x, y))),
        (2, _ramEnd.Select(end => string.Join('\n', "    - { start: 0x100000, end: 0xbfffffff, type: usable }", $"    - {{ start: 0x100000000, end: {end}, type: usable }}"))));

    private static readonly Gen<string> _sagaw = Gen.Frequency((30, Gen.OneOf("[39, 48]", "[48]", "[30, 39]", "[39]", "[57]", "[48, 57]")), (1, Gen.OneOf("[30]", "[40]", "[]", "[39, 39]", "x")));

    private static readonly Gen<string> _unit = Gen.Frequency(
        (20, Gen.Select(Gen.Bool, _sagaw, Gen.Bool, Gen.Bool, Gen.Frequency((30, Gen.Int[1, 256]), (1, Gen.Int[0, 300]))).Select((pt, sg, cm, qi, nfr) =>
            $"      - {{ base: 0xfed90000, include-pci-all: true, pass-through: {(pt ? "true" : "false")}, sagaw: {sg}, caching-mode: {(cm ? "true" : "false")}, queued-invalidation: {(qi ? "true" : "false")}, fault-recording-registers: {nfr} }}")),
        (1, Gen.Select(Gen.ULong, Gen.ULong).Select((cap, ecap) => $"      - {{ base: 0xfed90000, include-pci-all: true, cap: \"{cap:x}\", ecap: \"{ecap:x}\" }}")),
        (2, Gen.OneOf("      - { base: 0xfed90000, include-pci-all: true, cap: \"0\", ecap: \"0\" }",
            "      - { base: 0xfed90000, include-pci-all: true, cap: \"c90780106f0462\", ecap: \"f020fe\" }",
            "      - { base: 0xfed90000, devices: [dev] }",
            // An imported unit the kernel ignored (devices-present: false) beside the include-all one, and the key misplaced.
            "      - { base: 0xfed90000, devices: [], devices-present: false, cap: \"c90780106f0462\", ecap: \"f020fe\" }\n      - { base: 0xfed91000, include-pci-all: true, cap: \"c90780106f0462\", ecap: \"f020fe\" }",
            "      - { base: 0xfed90000, include-pci-all: true, devices-present: false }")));

    private static readonly Gen<string> _rmrr = Gen.Frequency(
        (6, Gen.Const("")),
        (1, Gen.Select(_address, _address).Select((a, b) => $"    rmrr:\n      - {{ start: {a}, end: {b}, devices: [dev] }}")),
        (2, Gen.Const("    rmrr:\n      - { start: 0x7f000000, end: 0x7f0fffff, devices: [dev] }")));

    // The table's other structures as an import writes them, and malformed ones (a base no unit has, a domain over 32 bits, a NUL-less odd name).
    private static readonly Gen<string> _extras = Gen.Frequency(
        (6, Gen.Const("")),
        (2, Gen.Select(Gen.Bool, Gen.UInt, Gen.Int[0, 255], Gen.Bool).Select((all, domain, dev, atc) =>
            $"    atsr:\n      - {{ all-ports: {(all ? "true" : "false")} }}\n    rhsa:\n      - {{ base: 0xfed90000, proximity-domain: {domain} }}\n" +
            $"    andd:\n      - {{ device: {dev}, name: \"\\\\_SB.PCI0.I2C0\" }}\n    satc:\n      - {{ atc-required: {(atc ? "true" : "false")} }}")),
        (1, Gen.OneOf("    rhsa:\n      - { base: 0xfed91000, proximity-domain: 0 }", "    rhsa:\n      - { base: 0xfed90000, proximity-domain: 0x1ffffffff }",
            "    andd:\n      - { device: 300, name: x }", "    andd:\n      - { device: 1, name: \"\" }", "    atsr: 5", "    satc:\n      - { flags: 1 }")));

    private static readonly Gen<string> _iommu = Gen.Frequency(
        (8, Gen.Const("  iommu: none")), (1, Gen.Const("  iommu: on")),
        (40, Gen.Select(_haw, _unit, _rmrr, _extras).Select((haw, unit, rmrr, extras) => string.Join('\n',
            new[] { "  iommu:", $"    host-address-width: {haw}", "    units:", unit, rmrr, extras }.Where(l => l.Length > 0)))));

    private static readonly Gen<string> _device = Gen.Select(Gen.Frequency((20, Gen.Const("scripted")), (1, Gen.OneOf("storage-controller", "usb-controller", "nic"))), _bits, _bits)
        .Select((model, bits, desc) => $"    - {{ bdf: \"04:00.0\", name: dev, model: {model}, address-bits: {bits}, descriptor-address-bits: {desc} }}");

    private static readonly Gen<string> _cmdline = Gen.Select(
            Gen.OneOf("", "intel_iommu=on", "intel_iommu=off", "intel_iommu=on,igfx_off"),
            Gen.OneOf("", "iommu=pt", "iommu=soft", "iommu=force"),
            Gen.OneOf(Gen.OneOf("", "", "swiotlb=force", "swiotlb=noforce", "swiotlb=0", "swiotlb=99999999", "swiotlb=1"), Number.Select(n => "swiotlb=" + n)),
            Gen.OneOf("", "iommu.strict=0", "iommu.forcedac=1", "intel_iommu=strict", "intremap=off"))
        .Select((a, b, c, d) => string.Join(' ', new[] { a, b, c, d }.Where(x => x.Length > 0)));

    private static Gen<string> Targets(params string[] names) => Gen.Frequency((30, Gen.OneOf(names)), (1, Gen.OneOf("nosuch", "g", "g#8", "c", "b")));

    private static readonly Gen<string> _direction = Gen.Frequency((30, Gen.OneOf("to-device", "from-device", "bidirectional")), (1, Gen.Const("sideways")));

    /// <summary>Every scenario creates these first, so later steps mostly name something that exists.</summary>
    private static readonly string[] _preamble =
    [
        "{ device: dev, op: alloc-coherent, size: 8KiB, as: c }",
        "{ device: dev, op: map, size: 4KiB, direction: bidirectional, as: m }",
        "{ device: dev, op: alloc-buffer, size: 64KiB, as: b }",
        "{ device: dev, op: map, size: 4KiB, direction: to-device, as: g, repeat: 8 }",
    ];

    /// <summary>One workload step: ops with edge numbers, run jobs, hot-plug.</summary>
    private static readonly Gen<string> _step = Gen.OneOf(
        Gen.Select(Number, Gen.Int[0, 99]).Select((size, n) => $"{{ device: dev, op: alloc-coherent, size: {size}, as: c{n} }}"),
        Gen.Select(Number, _direction, Gen.Int[0, 99]).Select((size, dir, n) => $"{{ device: dev, op: map, size: {size}, direction: {dir}, as: m{n} }}"),
        Gen.Select(Number, Gen.Frequency((4, Gen.Const("")), (1, _address.Select(a => ", at: " + a))), Gen.Int[0, 99]).Select((size, at, n) => $"{{ device: dev, op: alloc-buffer, size: {size}, as: b{n}{at} }}"),
        Gen.Select(Number, Number, Gen.Int[0, 99]).Select((off, size, n) => $"{{ device: dev, op: map, buffer: b, offset: {off}, size: {size}, direction: to-device, as: o{n} }}"),
        Gen.Select(Gen.OneOf("dma-read", "dma-write"), Targets("m", "c", "g#0", "g#7"), Gen.Bool, Number, Gen.Bool, Number).Select(Access),
        Gen.Select(Gen.OneOf("cpu-read", "cpu-write"), Targets("m", "c", "b", "g#3"), Gen.Bool, Number, Gen.Bool, Number).Select(Access),
        Gen.Select(Gen.OneOf("sync-for-cpu", "sync-for-device"), Targets("m", "g#1"), Gen.Bool, Number, Gen.Bool, Number).Select(Access),
        Targets("m", "g#0", "g#5").Select(t => $"{{ device: dev, op: unmap, target: {t} }}"),
        Targets("c").Select(t => $"{{ device: dev, op: free-coherent, target: {t} }}"),
        Gen.Select(_bits, _bits).Select((a, b) => $"{{ device: dev, op: set-mask, dma-mask-bits: {a}, coherent-dma-mask-bits: {b} }}"),
        Gen.Select(Gen.Int[0, 40], Gen.Int[0, 99]).Select((r, n) => $"{{ device: dev, op: map, size: 4KiB, direction: to-device, as: r{n}, repeat: {r} }}"),
        Gen.Select(_ramEnd, _ramEnd).Select((a, b) => $"{{ hotplug-memory: {{ start: {a}, end: {b} }} }}"));

    private static string Access(string op, string target, bool hasOffset, string offset, bool hasBytes, string bytes) =>
        $"{{ device: dev, op: {op}, target: {target}{(hasOffset ? ", offset: " + offset : "")}{(hasBytes ? ", bytes: " + bytes : "")} }}";

    /// <summary>A built-in job: scripted devices have none, so these are rare (and mostly refused).</summary>
    private static readonly Gen<string> _runStep = Gen.Select(Number, Number).Select((count, size) => $"{{ device: dev, run: io, count: {count}, size: {size} }}");

    private static readonly Gen<string> _anyStep = Gen.Frequency((200, _step), (1, _runStep));

    /// <summary>A whole scenario, before any textual mutation.</summary>
    public static readonly Gen<string> Scenario =
        Gen.Select(_physBits, _memory, _iommu, _device, Gen.Frequency((30, Gen.OneOf(Profiles)), (1, Gen.OneOf("rhel-5", ""))), _cmdline, _anyStep.Array[0, 8])
            .Select((pab, mem, iommu, dev, profile, cmd, steps) => string.Join('\n',
            [
                "schema: dmasim/v1",
                "name: fuzz",
                "seed: 1",
                "platform:",
                $"  physical-address-bits: {pab}",
                "  memory:",
                mem,
                iommu,
                "  devices:",
                dev,
                "kernel:",
                $"  profile: {profile}",
                $"  cmdline: {cmd}",
                "workload:",
                .. _preamble.Concat(steps).Select(s => "  - " + s),
                "",
            ]));

    /// <summary>A scenario, and in a quarter of the cases a textual mutation of it.</summary>
    public static readonly Gen<string> Mutated = Gen.Select(Scenario, Gen.Int[0, 17], Gen.Int[0, 10_000], Gen.Int[0, 40], Gen.Char)
        .Select((text, kind, at, length, c) => Mutations.Apply(text, kind, at, length, c));
}

/// <summary>Byte- and text-level mutations shared by the targets.</summary>
internal static class Mutations
{
    /// <summary>kind 3: cut a span; 4: duplicate a line; 5: insert a character; anything else: unchanged.</summary>
    public static string Apply(string text, int kind, int at, int length, char c)
    {
        if (text.Length == 0) return text;
        var i = at % text.Length;
        switch (kind)
        {
            case 3:
                return text.Remove(i, Math.Min(length, text.Length - i));
            case 4:
                {
                    var start = text.LastIndexOf('\n', i) + 1;
                    var end = text.IndexOf('\n', i);
                    var line = end < 0 ? text[start..] : text[start..(end + 1)];
                    return text.Insert(start, line);
                }
            case 5:
                return text.Insert(i, c.ToString());
            default:
                return text;
        }
    }

    /// <summary>Flips, overwrites or truncates bytes (op 0–3), leaving the rest of the structure in place.</summary>
    public static byte[] Apply(byte[] bytes, int op, int at, byte value)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        var i = at % copy.Length;
        switch (op)
        {
            case 0: copy[i] ^= (byte)(1 << (value & 7)); return copy;
            case 1: copy[i] = value; return copy;
            case 2: return copy[..i];
            default: return copy;
        }
    }
}
