using System.Buffers.Binary;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>
/// A write into a VT-d page table: a second device, <c>att</c>, outside every remapping unit's scope (its DMA
/// is untranslated), writes the 8 bytes <see cref="Value"/> over the leaf PTE of mapping 0's IOVA, just before
/// the scenario's last step, a device write of mapping 0. <see cref="PreRead"/>: a device read of mapping 0
/// first, which can leave a translation in the IOTLB that the overwrite does not reach.
/// </summary>
internal sealed record CampaignOverwrite(ulong Value, bool PreRead)
{
    /// <summary>Bits set beside a valid R/W PTE: ignored ones (3–7 at the leaf, 52–61, 63) and reserved ones (11, 40–51, 62 with HAW 40).</summary>
    private static readonly int[] _bits = [3, 5, 6, 7, 11, 40, 45, 51, 52, 58, 62, 63];

    /// <summary>A not-present entry (0), a R/W PTE to a buffer with one more bit set, or a plain R/W PTE to a buffer (maybe mapping 0's own).</summary>
    public static Gen<CampaignOverwrite?> Gen { get; } =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, 23], CsCheck.Gen.Int[0, 2], CsCheck.Gen.Int[0, 4], CsCheck.Gen.Int[0, _bits.Length - 1])
            .Select((o, kind, buffer, bit) => o >= 6 ? null : new CampaignOverwrite(kind switch
            {
                0 => 0UL,
                1 => CampaignScenario.BufferAddress(buffer) | 3 | (1UL << _bits[bit]),
                _ => CampaignScenario.BufferAddress(buffer) | 3,
            }, o >= 3));

    /// <summary>The steps the scenario keeps: the optional read, then the write the overwrite comes before.</summary>
    public CampaignStep[] Steps()
    {
        var write = new CampaignStep(Act.DmaWrite, 0, 0, 64, 0);
        return PreRead ? [new CampaignStep(Act.DmaRead, 0, 0, 64, 0), write] : [write];
    }

    /// <summary>
    /// The attacker's write. The table page is found from what the run returns: mapping 0's IOVA (its DMA-API
    /// event) and the domain's root table, followed down through the entries memory really holds.
    /// </summary>
    public void Apply(SimMachine m)
    {
        var iova = m.Events.Events.OfType<DmaApiEvent>()
            .First(e => e.Device == "dev" && e.Ok && e.Call is "dma_map_single" or "dma_map_page").Dma!.Value.Value;
        var dev = m.Kernel.Devices.Single(d => d.Name == "dev");
        var table = m.Kernel.Iommu!.DomainOf(dev)!.Table!;
        var entry = table.Root.Value;
        for (var level = table.Levels; ; level--)
        {
            entry += ((iova >> (3 + 9 * level)) & 0x1FF) * 8;
            if (level == 1) break;
            var next = new byte[8];
            m.Memory.Read(new PhysAddr(entry), next);
            entry = BinaryPrimitives.ReadUInt64LittleEndian(next) & 0x000F_FFFF_FFFF_F000;
        }
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Value);
        var att = SimMachine.ToBdf(m.Scenario.Device("att").Bdf);
        if (!m.Fabric.Write(att, new DmaAddr(entry), bytes, DmaLines.Data).Ok) throw new InvalidOperationException("the attacker's write was blocked");
    }

    public override string ToString() => $"att writes 0x{Value:x} over the leaf PTE of m0's IOVA before the last step";
}
