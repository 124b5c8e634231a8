using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;

namespace DmaSim.Hardware.Platform;

/// <summary>A device's DMA engine: what its silicon can drive on the bus.</summary>
public sealed record DmaPort(string Name, Bdf Bdf, int AddressBits, int DescriptorAddressBits)
{
    public int BitsFor(DmaLines lines) => lines == DmaLines.Data ? AddressBits : DescriptorAddressBits;
}

/// <summary>The outcome of one DMA as the platform performed it.</summary>
public readonly record struct DmaResult(bool Ok, DmaTransactionEvent Transaction);

/// <summary>
/// The root complex: takes a DMA from a device, drops the address lines the engine lacks, tags it with
/// the requester id the bridges leave on it, hands each page to the remapping unit wired to that
/// device (if any) and moves the bytes in physical memory.
/// </summary>
public sealed class DmaFabric
{
    private readonly PhysicalMemory _memory;
    private readonly FrameOwners _owners;
    private readonly PciTopology _pci;
    private readonly EventStream _events;
    private readonly Dictionary<Bdf, DmaPort> _ports = [];
    private Func<Bdf, IDmaRemapper?> _remapperFor = _ => null;

    public DmaFabric(PhysicalMemory memory, FrameOwners owners, PciTopology pci, EventStream events)
    {
        _memory = memory;
        _owners = owners;
        _pci = pci;
        _events = events;
    }

    public void AddPort(DmaPort port) => _ports.Add(port.Bdf, port);
    public DmaPort Port(Bdf bdf) => _ports[bdf];

    /// <summary>Wires devices to remapping units (which DRHD's hardware sits above which device).</summary>
    public void WireRemapping(Func<Bdf, IDmaRemapper?> remapperFor) => _remapperFor = remapperFor;

    public DmaResult Read(Bdf device, DmaAddr address, Span<byte> destination, DmaLines lines, DmaIntent? intent = null) =>
        Transfer(device, address, destination, default, lines, isWrite: false, intent);

    public DmaResult Write(Bdf device, DmaAddr address, ReadOnlySpan<byte> source, DmaLines lines, DmaIntent? intent = null) =>
        Transfer(device, address, default, source, lines, isWrite: true, intent);

    /// <summary>One transaction: a read fills <paramref name="readInto"/>, a write stores <paramref name="writeFrom"/> (straight from the caller's bytes).</summary>
    private DmaResult Transfer(Bdf device, DmaAddr address, Span<byte> readInto, ReadOnlySpan<byte> writeFrom, DmaLines lines, bool isWrite, DmaIntent? intent)
    {
        var length = isWrite ? writeFrom.Length : readInto.Length;
        var port = _ports[device];
        var bits = port.BitsFor(lines);
        var lineMask = DmaMask.Bits(bits);
        var rid = _pci.RequesterIdSeenByRootComplex(device);
        var remapper = _remapperFor(device);
        // One segment per page the transaction touches (at most this many).
        var segments = new List<DmaSegment>((int)Math.Min(1024, ((address.Value & (PhysAddr.PageSize - 1)) + (ulong)length + PhysAddr.PageSize - 1) >> PhysAddr.PageShift));
        var done = 0;
        byte faultReason = 0;
        string? faultText = null;
        var faulted = false;
        while (done < length)
        {
            var issued = address.Value + (ulong)done;
            // An engine with fewer address lines simply does not drive the upper bits.
            var driven = issued & lineMask;
            var inPage = (int)Math.Min((ulong)(length - done), PhysAddr.PageSize - (driven & (PhysAddr.PageSize - 1)));
            var remap = remapper is null ? RemapResult.Untranslated(driven) : remapper.Remap(rid.RequesterId, driven, isWrite);
            if (!remap.Ok)
            {
                faulted = true;
                faultReason = remap.FaultReason;
                faultText = remap.FaultText;
                break;
            }
            var phys = remap.Address;
            if (phys.Value > _memory.Limit)
            {
                faulted = true;
                faultText = $"address {phys} beyond the {_memory.PhysicalAddressBits}-bit physical address space (master abort)";
                break;
            }
            var owner = _owners.OwnerOf(phys);
            if (isWrite)
            {
                // Writes to a hole are dropped by the root complex; reads of a hole return all ones.
                if (owner.Kind != OwnerKind.Hole) _memory.Write(phys, writeFrom.Slice(done, inPage));
            }
            else if (owner.Kind == OwnerKind.Hole) readInto.Slice(done, inPage).Fill(0xff);
            else _memory.Read(phys, readInto.Slice(done, inPage));
            segments.Add(new DmaSegment(issued, driven, phys, inPage, owner));
            done += inPage;
        }
        var ev = new DmaTransactionEvent(port.Name, device, rid, lines, bits, isWrite, address, length, segments,
            faulted, faultReason, faultText, remapper?.Name, intent);
        return new DmaResult(!faulted, _events.Emit(ev));
    }
}
