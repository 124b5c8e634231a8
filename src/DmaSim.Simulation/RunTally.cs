using System.Runtime.InteropServices;
using DmaSim.Core;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;

namespace DmaSim.Simulation;

/// <summary>
/// What a run's result needs from its events, gathered as they happen: the counters, each device's last IOMMU
/// decision and first coherent allocation. The stream then keeps only the log (<see cref="Attach"/>), so a run
/// does not hold its millions of DMA events until the end (a sweep's cells each did, and the collector copied them).
/// </summary>
internal sealed class RunTally
{
    private static readonly ZoneType[] _zones = Enum.GetValues<ZoneType>();

    public long Bounces { get; private set; }
    public long[] AllocsPerZone { get; } = new long[_zones.Length];
    public Dictionary<string, long> TransactionsPerDevice { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, IommuDecisionEvent> LastDecision { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, DmaApiEvent> FirstCoherent { get; } = new(StringComparer.Ordinal);

    public static IReadOnlyList<ZoneType> Zones => _zones;

    /// <summary>Observes the stream from its first event and turns off keeping everything but log lines.</summary>
    public void Attach(EventStream events)
    {
        events.Record = false;
        events.Keep<LogEvent>();
        // Coherent allocations only: a subscription to every DmaApiEvent would make each map and unmap build one.
        events.Subscribe<DmaCoherentAllocEvent>(c => FirstCoherent.TryAdd(c.Call.Device, c.Call));
        events.Subscribe<PageAllocEvent>(a => AllocsPerZone[Array.IndexOf(_zones, a.Zone)]++);
        events.Subscribe<SwiotlbMapEvent>(_ => Bounces++);
        events.Subscribe<DmaTransactionEvent>(t => CollectionsMarshal.GetValueRefOrAddDefault(TransactionsPerDevice, t.Device, out _)++);
        events.Subscribe<IommuDecisionEvent>(d => LastDecision[d.Device] = d);
    }
}
