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
            Add(new Finding(outcome == Outcome.FirmwareFault ? "firmware-dma-blocked" : "iommu-fault", tx.Device, outcome,
                $"{who}: {(tx.IsWrite ? "write" : "read")} of {tx.Length} bytes at DMA address {tx.Address} (requester id {tx.RequesterId}) blocked by {tx.Remapper ?? "the platform"}: {tx.FaultText}" +
                (intent is null ? "" : $" — it was meant for {intent.Label} at {intent.ExpectedPhys}")));
            return;
        }
        if (intent is null) return;
        foreach (var seg in tx.Segments)
        {
            var expected = intent.ExpectedPhys.Value + (seg.Issued - tx.Address.Value);
            if (seg.Physical.Value == expected) continue;
            Outcome outcome;
            string what;
            if (tx.IsWrite)
            {
                outcome = Outcome.Corruption;
                what = $"wrote {seg.Length} bytes of {intent.Label} into {seg.Physical}, which is {seg.Owner}";
            }
            else if (intent.IsControl)
            {
                outcome = Outcome.Stall;
                what = $"fetched {intent.Label} from {seg.Physical}, which is {seg.Owner}, where the driver never wrote it";
            }
            else
            {
                outcome = Outcome.Corruption;
                what = $"read {seg.Length} bytes for {intent.Label} from {seg.Physical}, which is {seg.Owner} (the device moves the wrong data)";
            }
            var lines = seg.Driven != seg.Issued
                ? $"was handed DMA address {Hex.Format(seg.Issued)} but its {tx.LineBits} {(tx.Lines == DmaLines.Descriptor ? "descriptor" : "data")} address lines drove {Hex.Format(seg.Driven)}"
                : $"drove DMA address {Hex.Format(seg.Issued)}" + (tx.Remapper is null ? "" : $", which {tx.Remapper} translated to {seg.Physical}");
            Add(new Finding(tx.IsWrite ? "stray-write" : intent.IsControl ? "stray-control-read" : "stray-data-read", tx.Device, outcome,
                $"{tx.Device} {lines}; it {what}; the driver's {intent.Label} is at {Hex.Format(expected)}"));
            return;
        }
    }

    public void Add(Finding f)
    {
        if (!Worst.TryGetValue(f.Device, out var w) || f.Outcome > w) Worst[f.Device] = f.Outcome;
        var n = _perDeviceReported.GetValueOrDefault(f.Device);
        _perDeviceReported[f.Device] = n + 1;
        if (n < MaxFindingsPerDevice) _findings.Add(f);
    }

    public int CountFor(string device) => _perDeviceReported.GetValueOrDefault(device);
}
