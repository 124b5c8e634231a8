using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Platform;

namespace DmaSim.Simulation.Pictures;

/// <summary>A physical range shown on the memory map: an e820 entry, or pages with one owner (buffer, pool, table, RMRR).</summary>
public sealed record MemoryRegion(ulong Start, ulong End, string Kind, string Label);

/// <summary>One stage of a DMA's path from the driver to the page it hit, with what happened there.</summary>
public sealed record DmaPathStep(string Stage, string Value, bool Wrong);

/// <summary>A DMA that did not land where the driver meant (or was blocked), with its path.</summary>
public sealed record WrongDma(string Device, bool Faulted, bool IsWrite, ulong IntendedPhys, ulong? HitPhys, string HitOwner, string Purpose, IReadOnlyList<DmaPathStep> Path);

/// <summary>
/// What the HTML report draws for a run: the e820 map, the pages with an owner other than "free", and the DMAs that
/// went wrong with their paths. Built from the machine after the run; sizes stay small (owner runs, not pages).
/// </summary>
public sealed record RunPicture(IReadOnlyList<MemoryRegion> E820, IReadOnlyList<MemoryRegion> Owned, IReadOnlyList<WrongDma> WrongDmas)
{
    /// <summary>At most this many owner runs are kept (a software identity map has many table pages); the rest are merged by kind.</summary>
    public const int MaxOwnedRegions = 400;

    public static RunPicture Of(IReadOnlyList<E820Entry> e820, FrameOwners owners, IReadOnlyList<WrongDma> wrong)
    {
        ArgumentNullException.ThrowIfNull(e820);
        ArgumentNullException.ThrowIfNull(owners);
        var map = e820.Select(e => new MemoryRegion(e.Range.Start.Value, e.Range.End.Value, "e820-" + e.Type.ToString().ToLowerInvariant(), e.KernelName)).ToList();
        var last = e820.Count == 0 ? 0UL : e820.Max(e => e.Range.End.Value) >> PhysAddr.PageShift;
        var owned = new List<MemoryRegion>();
        foreach (var (first, lastPfn, owner) in owners.RunsIn(0, last))
        {
            if (owner.Kind is OwnerKind.Free or OwnerKind.Hole or OwnerKind.Firmware) continue;
            var region = new MemoryRegion(first << PhysAddr.PageShift, (lastPfn << PhysAddr.PageShift) | (PhysAddr.PageSize - 1), KindOf(owner.Kind), owner.ToString());
            if (owned.Count > 0 && owned[^1].Kind == region.Kind && owned[^1].Label == region.Label && owned[^1].End + 1 == region.Start)
                owned[^1] = owned[^1] with { End = region.End };
            else owned.Add(region);
        }
        if (owned.Count > MaxOwnedRegions) owned = Merge(owned);
        return new RunPicture(map, owned, wrong);
    }

    /// <summary>Too many runs to draw one by one: one region per kind spanning its runs' extent, labelled with the count.</summary>
    private static List<MemoryRegion> Merge(List<MemoryRegion> owned) =>
        [.. owned.GroupBy(r => (r.Kind, r.Label)).Select(g => g.Count() == 1 ? g.First()
            : new MemoryRegion(g.Min(r => r.Start), g.Max(r => r.End), g.Key.Kind, $"{g.Key.Label} ({g.Count()} runs)"))
            .OrderBy(r => r.Start)];

    private static string KindOf(OwnerKind kind) => kind switch
    {
        OwnerKind.Kernel => "kernel",
        OwnerKind.KernelBuffer => "kernel-buffer",
        OwnerKind.CoherentBuffer => "coherent-buffer",
        OwnerKind.SwiotlbPool => "swiotlb-pool",
        OwnerKind.VtdTable => "vtd-table",
        OwnerKind.Rmrr => "rmrr",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// Keeps the DMAs that went wrong (blocked, or reaching another page than the one intended), the first few per device
/// as the checker keeps its findings, each with the stages it passed: driver, DMA address, address lines, requester
/// id, remapping, physical page, owner.
/// </summary>
public sealed class PictureRecorder
{
    private readonly List<WrongDma> _wrong = [];
    private readonly Dictionary<string, int> _perDevice = [];

    public int MaxPerDevice { get; init; } = 4;

    public IReadOnlyList<WrongDma> Wrong => _wrong;

    public void Attach(EventStream events)
    {
        ArgumentNullException.ThrowIfNull(events);
        events.Subscribe<DmaTransactionEvent>(Observe);
    }

    public void Observe(DmaTransactionEvent tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var intent = tx.Intent;
        if (intent is null && !tx.Faulted) return;
        if (tx.Faulted)
        {
            Keep(tx, null, intent);
            return;
        }
        var segments = tx.Segments; // indexed: no boxed enumerator per transaction
        for (var i = 0; i < segments.Count; i++)
        {
            var seg = segments[i];
            if (seg.Physical.Value == intent!.ExpectedPhys.Value + (seg.Issued - tx.Address.Value)) continue;
            Keep(tx, seg, intent);
            return;
        }
    }

    private void Keep(DmaTransactionEvent tx, DmaSegment? seg, DmaIntent? intent)
    {
        var n = _perDevice.GetValueOrDefault(tx.Device);
        _perDevice[tx.Device] = n + 1;
        if (n >= MaxPerDevice) return;
        var intended = intent is null ? 0 : intent.ExpectedPhys.Value + ((seg?.Issued ?? tx.Address.Value) - tx.Address.Value);
        _wrong.Add(new WrongDma(tx.Device, tx.Faulted, tx.IsWrite, intended, seg?.Physical.Value,
            seg?.Owner.ToString() ?? "nothing (blocked)", intent?.Label ?? "(no intent)", Path(tx, seg, intent)));
    }

    private static List<DmaPathStep> Path(DmaTransactionEvent tx, DmaSegment? seg, DmaIntent? intent)
    {
        var issued = seg?.Issued ?? tx.Address.Value;
        var driven = seg?.Driven ?? tx.DrivenAddress;
        var alias = tx.RequesterId != tx.Bdf;
        var steps = new List<DmaPathStep>
        {
            new("driver", intent is null ? tx.Device : $"{tx.Device}: {intent.Label} at {Hex.Format(intent.ExpectedPhys.Value)}", false),
            new("DMA address", Hex.Format(issued), false),
            new("address lines", $"{tx.LineBits} {(tx.Lines == DmaLines.Descriptor ? "descriptor" : "data")} lines drive {Hex.Format(driven)}", driven != issued),
            new("requester id", alias ? $"{tx.RequesterId} (alias of {tx.Bdf}: a bridge took ownership)" : tx.RequesterId.ToString(), alias),
        };
        if (tx.Faulted)
            steps.Add(new("remapping", $"{tx.Remapper ?? "platform"}: fault: {tx.FaultText}", true));
        else
            steps.Add(new("remapping", tx.Remapper is null ? "no IOMMU on the path: address used as is" : $"{tx.Remapper}: context entry and page walk → {Hex.Format(seg!.Value.Physical.Value)}", false));
        if (seg is { } s)
        {
            steps.Add(new("physical page", Hex.Format(s.Physical.Value & ~(PhysAddr.PageSize - 1)), true));
            steps.Add(new("owner", s.Owner.ToString(), true));
        }
        return steps;
    }
}
