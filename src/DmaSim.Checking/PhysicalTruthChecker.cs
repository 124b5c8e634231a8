using DmaSim.Core;
using DmaSim.Hardware.Platform;

namespace DmaSim.Checking;

/// <summary>
/// Compares every DMA the silicon performed with what it was meant to do: the page the bytes really
/// reached (after dropped address lines and remapping) against the page the driver's buffer occupies.
/// Attached to the event stream from outside the model; one instance per simulated machine.
/// </summary>
public sealed class PhysicalTruthChecker
{
    private readonly List<Finding> _findings = [];
    private readonly Dictionary<string, int> _perDeviceReported = [];
    private readonly HashSet<(string Device, FindingKind Kind)> _seen = [];

    /// <summary>Only the first few findings per device are kept in full (like dma-debug's num_errors), all are counted.</summary>
    public int MaxFindingsPerDevice { get; init; } = 4;

    public IReadOnlyList<Finding> Findings => _findings;
    public Dictionary<string, Outcome> Worst { get; } = [];
    public long Transactions { get; private set; }

    public void Attach(EventStream events) => events.Subscribe<DmaTransactionEvent>(Observe);

    public void Observe(DmaTransactionEvent tx)
    {
        Transactions++;
        var intent = tx.Intent;
        if (tx.Faulted)
        {
            var outcome = intent?.IsFirmware == true ? Outcome.FirmwareFault : Outcome.Fault;
            var who = intent?.IsFirmware == true ? "firmware DMA (SMM) of " + tx.Device : tx.Device;
            Add(new Finding(outcome == Outcome.FirmwareFault ? FindingKind.FirmwareDmaBlocked : FindingKind.IommuFault, tx.Device, outcome,
                $"{who}: {(tx.IsWrite ? "write" : "read")} of {tx.Length} bytes at DMA address {tx.Address} (requester id {tx.RequesterId}) blocked by {tx.Remapper ?? "the platform"}: {tx.FaultText}" +
                (intent is null ? "" : $" — it was meant for {intent.Label} at {intent.ExpectedPhys}" + (intent.Released ? ", which the driver had already unmapped or freed" : ""))));
            // The pages before the faulting one were already transferred (a multi-page DMA is split into
            // TLPs that never cross a 4 KiB boundary, PCIe Base Spec 4.0 §2.2.7; VT-d blocks only the
            // faulting request): what they reached is checked like any other access.
            if (tx.Segments.Count == 0) return;
        }
        if (intent is null) return;
        if (intent.Released)
            Add(new Finding(FindingKind.UseAfterUnmap, tx.Device, Outcome.Ok,
                $"{tx.Device} {(tx.IsWrite ? "wrote" : "read")} {tx.Length} bytes through {intent.Label} after the driver had unmapped or freed it (DMA address {tx.Address})"));
        // Indexed: foreach over the IReadOnlyList would box an enumerator per transaction.
        var segments = tx.Segments;
        for (var i = 0; i < segments.Count; i++)
        {
            // A run's pieces follow one another on the bus and in memory and reach one owner: they all land where
            // the driver's buffer is, or none does. Pieces are reported as the fabric performed them, in order.
            var run = segments[i];
            var offset = run.Issued - tx.Address.Value;
            var expected = intent.ExpectedPhys.Value + offset;
            var landed = run.Physical.Value == expected && (intent.Owner is null || run.Owner == intent.Owner);
            if (intent.Extent is { } extent && offset + (ulong)run.Length > extent)
            {
                var outside = run.PieceAt(extent > offset ? extent - offset : 0);
                if (landed || outside.Issued == run.Issued) ReportOutside(tx, intent, outside, outside.Issued - tx.Address.Value, extent);
                else ReportStray(tx, intent, run.PieceAt(0), expected);
                return;
            }
            if (landed) continue;
            ReportStray(tx, intent, run.PieceAt(0), expected);
            return;
        }
    }

    /// <summary>The bytes reached another page than the buffer's, or the buffer's page has changed hands since.</summary>
    private void ReportStray(DmaTransactionEvent tx, DmaIntent intent, DmaSegment seg, ulong expected)
    {
        var (outcome, kind) = Classify(tx, intent);
        var what = tx.IsWrite ? $"wrote {seg.Length} bytes of {intent.Label} into {seg.Physical}, which is {seg.Owner}"
            : intent.IsControl ? $"fetched {intent.Label} from {seg.Physical}, which is {seg.Owner}, where the driver never wrote it"
            : $"read {seg.Length} bytes for {intent.Label} from {seg.Physical}, which is {seg.Owner} (the device moves the wrong data)";
        Add(new Finding(kind, tx.Device, outcome, $"{tx.Device} {Lines(tx, seg)}; it {what}; the driver's {intent.Label} is at {Hex.Format(expected)}"));
    }

    /// <summary>An access running past the end of what the driver gave the device, wherever it lands.</summary>
    private void ReportOutside(DmaTransactionEvent tx, DmaIntent intent, DmaSegment seg, ulong offset, ulong extent)
    {
        var (outcome, _) = Classify(tx, intent);
        var first = Math.Max(offset, extent);
        var phys = seg.Physical.Add(first - offset);
        var bytes = offset + (ulong)seg.Length - first;
        Add(new Finding(FindingKind.OutOfMapping, tx.Device, outcome,
            $"{tx.Device} {Lines(tx, seg)}; it {(tx.IsWrite ? "wrote" : "read")} {bytes} bytes past the end of {intent.Label} ({extent} bytes from where the access starts) at {phys}, which is {seg.Owner}"));
    }

    private static (Outcome, FindingKind) Classify(DmaTransactionEvent tx, DmaIntent intent) =>
        tx.IsWrite ? (Outcome.Corruption, FindingKind.StrayWrite)
        : intent.IsControl ? (Outcome.Stall, FindingKind.StrayControlRead)
        : (Outcome.Corruption, FindingKind.StrayDataRead);

    private static string Lines(DmaTransactionEvent tx, DmaSegment seg) => seg.Driven != seg.Issued
        ? $"was handed DMA address {Hex.Format(seg.Issued)} but its {tx.LineBits} {(tx.Lines == DmaLines.Descriptor ? "descriptor" : "data")} address lines drove {Hex.Format(seg.Driven)}"
        : $"drove DMA address {Hex.Format(seg.Issued)}" + (tx.Remapper is null ? "" : $", which {tx.Remapper} translated to {seg.Physical}");

    public void Add(Finding f)
    {
        _seen.Add((f.Device, f.Kind));
        if (!Worst.TryGetValue(f.Device, out var w) || f.Outcome > w) Worst[f.Device] = f.Outcome;
        var n = _perDeviceReported.GetValueOrDefault(f.Device);
        _perDeviceReported[f.Device] = n + 1;
        if (n < MaxFindingsPerDevice) _findings.Add(f);
    }

    public int CountFor(string device) => _perDeviceReported.GetValueOrDefault(device);

    /// <summary>Whether any finding of <paramref name="kind"/> was reported for the device (kept in full or only counted).</summary>
    public bool Saw(string device, FindingKind kind) => _seen.Contains((device, kind));
}
