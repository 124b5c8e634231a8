using DmaSim.Hardware.Platform;
using DmaSim.Hardware.Vtd;

namespace DmaSim.Simulation.Machine;

/// <summary>Wires a VT-d unit into the DMA fabric: each page of a device DMA is one translation request.</summary>
public sealed class VtdRemapper : IDmaRemapper
{
    public VtdRemapper(string name, VtdUnit unit)
    {
        Name = name;
        Unit = unit;
    }

    public string Name { get; }
    public VtdUnit Unit { get; }

    public RemapResult Remap(ushort sourceId, ulong address, bool isWrite)
    {
        var r = Unit.Translate(sourceId, address, isWrite);
        if (r.IsSuccess) return new RemapResult(true, r.PhysicalAddress, 0, null);
        return RemapResult.Fault((byte)r.FaultReason, $"DMAR fault reason {(byte)r.FaultReason:x2} ({r.FaultReason})");
    }
}
