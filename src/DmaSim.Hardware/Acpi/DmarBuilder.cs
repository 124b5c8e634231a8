using System.Collections.Immutable;
using DmaSim.Core;

namespace DmaSim.Hardware.Acpi;

/// <summary>One remapping unit of a simulated machine: its register base, whether it is the catch-all unit, its scopes.</summary>
public sealed record DmarUnitSpec(ulong RegisterBase, bool IncludePciAll, IReadOnlyList<DeviceScope> Scopes, ushort Segment = 0, byte Size = 0);

/// <summary>One RMRR of a simulated machine: an inclusive physical range and the devices that use it.</summary>
public sealed record DmarRmrrSpec(PhysRange Range, IReadOnlyList<DeviceScope> Scopes, ushort Segment = 0);

/// <summary>
/// Everything a simulated machine's DMAR table says. Defaults follow what real firmware emits: revision 1,
/// INTR_REMAP set (VT-d §8.1), OEM "DMASIM".
/// </summary>
public sealed record DmarMachineSpec(int HostAddressWidth, IReadOnlyList<DmarUnitSpec> Units, IReadOnlyList<DmarRmrrSpec> Rmrrs)
{
    public byte Flags { get; init; } = DmarTable.IntrRemapFlag;
    public byte Revision { get; init; } = 1;
    public string OemId { get; init; } = "DMASIM";
    public string OemTableId { get; init; } = "DMASIM  ";
    public IReadOnlyList<DmarStructure> Extra { get; init; } = [];
}

/// <summary>
/// Builds real DMAR table bytes for a simulated machine, so every simulated boot parses firmware bytes the way
/// Linux does. Structures are emitted in ascending type order (DRHDs, then RMRRs, then any extra), as EDK2
/// requires; within the DRHDs the INCLUDE_PCI_ALL unit comes last, as every one of the 370 real tables the
/// shared data index surveyed does. Deliberately broken firmware (base 0, misaligned RMRRs…) is encodable:
/// the builder checks only what the encoding itself needs.
/// </summary>
public static class DmarBuilder
{
    /// <summary>The table as a model (offsets and lengths filled in by a parse of the encoded bytes).</summary>
    /// <exception cref="ArgumentException">The width is not 1–256 bits or a structure does not fit its encoding.</exception>
    public static DmarTable Build(DmarMachineSpec spec) => DmarCodec.Parse(BuildBytes(spec), "<built DMAR>");

    /// <summary>The encoded table, checksum included.</summary>
    /// <exception cref="ArgumentException">The width is not 1–256 bits or a structure does not fit its encoding.</exception>
    public static byte[] BuildBytes(DmarMachineSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.HostAddressWidth is < 1 or > 256)
            throw new ArgumentException($"host address width {spec.HostAddressWidth} does not fit the HAW byte (stored as width − 1)", nameof(spec));

        var structures = ImmutableArray.CreateBuilder<DmarStructure>();
        foreach (var u in spec.Units.OrderBy(u => u.IncludePciAll ? 1 : 0))
        {
            structures.Add(new Drhd(0, 0, u.IncludePciAll ? Drhd.IncludePciAllFlag : (byte)0, u.Size, u.Segment, u.RegisterBase, [.. u.Scopes]));
        }
        foreach (var r in spec.Rmrrs)
            structures.Add(new Rmrr(0, 0, 0, r.Segment, r.Range.Start.Value, r.Range.End.Value, [.. r.Scopes]));
        structures.AddRange(spec.Extra);

        var table = new DmarTable
        {
            Revision = spec.Revision,
            OemId = spec.OemId,
            OemTableId = spec.OemTableId,
            HostAddressWidthField = (byte)(spec.HostAddressWidth - 1),
            Flags = spec.Flags,
            Structures = structures.ToImmutable(),
        };
        return DmarCodec.Encode(table);
    }
}
