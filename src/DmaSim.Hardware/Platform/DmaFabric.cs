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
    public void WireRemapping(Func<Bdf, IDmaRemapper?> remapperFor)
    {
        _remapperFor = remapperFor;
        _routes.Clear();
    }

    // The unit above each requester, as the wiring answered it for the current PCI topology (the answer depends only
    // on the DMAR table, fixed at boot, and the topology, which hot-plug can change).
    private readonly Dictionary<Bdf, IDmaRemapper?> _routes = [];

    // The runs of the transaction being performed; each event gets its own exact-sized copy (mostly one run: a buffer
    // contiguous in DMA space and in memory), where a list per transaction with a slot per page had been a quarter of
    // a seed cell's allocated bytes.
    private readonly List<DmaSegment> _runs = [];
    private int _routesVersion;

    private IDmaRemapper? RemapperFor(Bdf device)
    {
        if (_routesVersion != _pci.Version)
        {
            _routes.Clear();
            _routesVersion = _pci.Version;
        }
        if (!_routes.TryGetValue(device, out var remapper)) _routes[device] = remapper = _remapperFor(device);
        return remapper;
    }

    public DmaResult Read(Bdf device, DmaAddr address, Span<byte> destination, DmaLines lines, DmaIntent? intent = null)
    {
        var mover = new PageMover(_memory, TransferKind.Read, destination);
        return Transfer(device, address, destination.Length, ref mover, lines, intent);
    }

    public DmaResult Write(Bdf device, DmaAddr address, ReadOnlySpan<byte> source, DmaLines lines, DmaIntent? intent = null)
    {
        var mover = new PageMover(_memory, TransferKind.Write, source: source);
        return Transfer(device, address, source.Length, ref mover, lines, intent);
    }

    /// <summary>
    /// A read whose bytes the device expects to be bytes [0, length) of the payload keyed by <paramref name="key"/>
    /// (a disk receiving a driver's write): the same transaction as <see cref="Read"/>, each page compared where it
    /// lies instead of copied out. <paramref name="matches"/> says whether every byte was the payload's; when not,
    /// or when the transaction faulted, <paramref name="destination"/> holds what was read, as <see cref="Read"/> leaves it.
    /// </summary>
    public DmaResult ReadExpectingPayload(Bdf device, DmaAddr address, Span<byte> destination, ulong key, DmaLines lines, DmaIntent? intent, out bool matches)
    {
        var mover = new PageMover(_memory, TransferKind.MatchPayload, destination, key: key);
        var r = Transfer(device, address, destination.Length, ref mover, lines, intent);
        matches = r.Ok && mover.Matches;
        if (!matches) FillFromSegments(r.Transaction.Segments, destination);
        return r;
    }

    /// <summary>A write of bytes [0, <paramref name="length"/>) of the payload keyed by <paramref name="key"/> (a disk returning a block it holds as that payload).</summary>
    public DmaResult WritePayload(Bdf device, DmaAddr address, int length, ulong key, DmaLines lines, DmaIntent? intent = null)
    {
        var mover = new PageMover(_memory, TransferKind.WritePayload, key: key);
        return Transfer(device, address, length, ref mover, lines, intent);
    }

    // The bytes a read of these segments returns (holes read as all ones), for a compared read that must hand them over.
    private void FillFromSegments(IReadOnlyList<DmaSegment> segments, Span<byte> destination)
    {
        var at = 0;
        foreach (var seg in segments)
        {
            var part = destination.Slice(at, seg.Length);
            if (seg.Owner.Kind == OwnerKind.Hole) part.Fill(0xff);
            else _memory.Read(seg.Physical, part);
            at += seg.Length;
        }
    }

    /// <summary>One transaction: each page translated, then moved by <paramref name="mover"/>; pieces that follow one another on the bus and in memory are kept as one run.</summary>
    private DmaResult Transfer(Bdf device, DmaAddr address, int length, ref PageMover mover, DmaLines lines, DmaIntent? intent)
    {
        var isWrite = mover.IsWrite;
        var port = _ports[device];
        var bits = port.BitsFor(lines);
        var lineMask = DmaMask.Bits(bits);
        var rid = _pci.RequesterIdSeenByRootComplex(device);
        var remapper = RemapperFor(device);
        var runs = _runs;
        runs.Clear();
        DmaSegment run = default;
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
            mover.Move(phys, done, inPage, owner.Kind == OwnerKind.Hole);
            if (done > 0 && run.ContinuesWith(driven, phys, owner)) run = run with { Length = run.Length + inPage };
            else
            {
                if (done > 0) runs.Add(run);
                run = new DmaSegment(issued, driven, phys, inPage, owner);
            }
            done += inPage;
        }
        if (done > 0) runs.Add(run);
        var ev = new DmaTransactionEvent(port.Name, device, rid, lines, bits, isWrite, address, length, runs.ToArray(),
            faulted, faultReason, faultText, remapper?.Name, intent);
        return new DmaResult(!faulted, _events.Emit(ev));
    }
}
