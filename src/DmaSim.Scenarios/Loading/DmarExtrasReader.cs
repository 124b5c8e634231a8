using System.Collections.Immutable;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>
/// Reads an inline IOMMU's `atsr`, `rhsa`, `andd` and `satc` lists: the DMAR structures a kernel log's parse
/// lines show ("ATSR flags: 0x0", "RHSA base: … proximity domain: …", "ANDD device: 1 name: …", "SATC flags: 0x1").
/// </summary>
internal static class DmarExtrasReader
{
    /// <summary>The keys, in the order a table lists the structures (ascending type, VT-d spec 8.1).</summary>
    public static readonly string[] Keys = ["atsr", "rhsa", "andd", "satc"];

    /// <summary>ACPI name strings are at most a few hundred bytes; the ANDD length field is 16 bits.</summary>
    private const int MaxAnddName = 255;

    public static ImmutableArray<InlineDmarExtra> Read(MapReader m, int physBits, ImmutableArray<IommuUnit> units)
    {
        var extras = ImmutableArray.CreateBuilder<InlineDmarExtra>();
        if (m.Get("atsr") is { } atsr)
            foreach (var item in List(atsr, "atsr"))
            {
                var e = Map(item, "atsr entry", "all-ports");
                extras.Add(new InlineAtsr(e.Get("all-ports") is { } a && Flag(a, "all-ports"), e.Span));
            }
        if (m.Get("rhsa") is { } rhsa)
            foreach (var item in List(rhsa, "rhsa"))
                extras.Add(ReadRhsa(item, physBits, units));
        if (m.Get("andd") is { } andd)
            foreach (var item in List(andd, "andd"))
                extras.Add(ReadAndd(item));
        if (m.Get("satc") is { } satc)
            foreach (var item in List(satc, "satc"))
            {
                var e = Map(item, "satc entry", "atc-required");
                extras.Add(new InlineSatc(e.Get("atc-required") is { } a && Flag(a, "atc-required"), e.Span));
            }
        return extras.ToImmutable();
    }

    private static InlineRhsa ReadRhsa(YNode item, int physBits, ImmutableArray<IommuUnit> units)
    {
        var e = Map(item, "rhsa entry", "base", "proximity-domain");
        var baseNode = e.Required("base");
        var at = Address(baseNode, "base", physBits);
        // dmar_parse_one_rhsa looks the base up among the DRHDs; a base no unit has is a BIOS bug the model does not take inline.
        if (!units.Any(u => u.Base == at))
            throw Error(baseNode.Span, $"rhsa base {at} is no unit's register base; an RHSA gives the proximity domain of a listed unit");
        var node = e.Required("proximity-domain");
        var domain = Number(node, "proximity-domain");
        if (domain > uint.MaxValue) throw Error(node.Span, $"proximity-domain {domain} does not fit the RHSA's 32-bit field");
        return new InlineRhsa(at, (uint)domain, e.Span);
    }

    private static InlineAndd ReadAndd(YNode item)
    {
        var e = Map(item, "andd entry", "device", "name");
        var device = (byte)Int(e.Required("device"), "device", 0, 255);
        var nameNode = e.Required("name");
        var name = Text(nameNode, "name");
        // The kernel prints the name as a C string (dmar_parse_one_andd); it must be printable ASCII without NUL.
        if (name.Length is 0 or > MaxAnddName || name.Any(c => c is < ' ' or > '~'))
            throw Error(nameNode.Span, $"andd name must be 1..{MaxAnddName} printable ASCII characters (an ACPI path such as \\_SB.PCI0.I2C0), not '{name}'");
        return new InlineAndd(device, name, e.Span);
    }
}
