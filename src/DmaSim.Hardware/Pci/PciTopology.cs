namespace DmaSim.Hardware.Pci;

/// <summary>What kind of PCI function this is, as far as DMA routing cares.</summary>
public enum PciFunctionKind
{
    Endpoint,
    /// <summary>PCIe root port (a PCIe-to-PCIe bridge): requester ids pass through unchanged.</summary>
    PcieRootPort,
    /// <summary>Conventional PCI-to-PCI bridge: forwarded DMA carries the bridge's own requester id.</summary>
    PciBridge,
    /// <summary>PCIe-to-PCI(-X) bridge: conventional DMA is tagged (secondary bus, devfn 0).</summary>
    PcieToPciBridge,
}

/// <summary>One PCI function of the platform.</summary>
public sealed record PciFunction(
    Bdf Bdf,
    string Name,
    PciFunctionKind Kind,
    bool IsPcie,
    byte? SecondaryBus = null,
    ushort VendorId = 0x8086,
    ushort DeviceId = 0,
    uint ClassCode = 0)
{
    public bool IsBridge => Kind != PciFunctionKind.Endpoint;
}

/// <summary>
/// The PCI hierarchy of segment 0: which functions exist, which bridge each sits behind, and which
/// requester id a function's DMA carries when it reaches the root complex.
/// </summary>
public sealed class PciTopology
{
    private readonly Dictionary<Bdf, PciFunction> _functions = [];
    private readonly Dictionary<byte, PciFunction> _bridgeBySecondaryBus = [];

    public IEnumerable<PciFunction> Functions => _functions.Values.OrderBy(f => f.Bdf);

    public void Add(PciFunction f)
    {
        if (!_functions.TryAdd(f.Bdf, f)) throw new ArgumentException($"two functions at {f.Bdf}");
        if (f.IsBridge)
        {
            if (f.SecondaryBus is not { } sec) throw new ArgumentException($"bridge {f.Bdf} needs a secondary bus");
            if (!_bridgeBySecondaryBus.TryAdd(sec, f)) throw new ArgumentException($"two bridges claim secondary bus {sec:x2}");
        }
    }

    public PciFunction? Find(Bdf bdf) => _functions.GetValueOrDefault(bdf);

    /// <summary>The bridge whose secondary bus the function is on, or null on the root bus.</summary>
    public PciFunction? UpstreamBridge(Bdf bdf) => _bridgeBySecondaryBus.GetValueOrDefault(bdf.Bus);

    /// <summary>On the root bus: no bridge above it.</summary>
    public bool IsOnRootBus(Bdf bdf) => UpstreamBridge(bdf) is null;

    /// <summary>Bridges from the function up to the root bus, nearest first.</summary>
    public IEnumerable<PciFunction> BridgesAbove(Bdf bdf)
    {
        var seen = new HashSet<Bdf>();
        for (var b = UpstreamBridge(bdf); b is not null && seen.Add(b.Bdf); b = UpstreamBridge(b.Bdf))
            yield return b;
    }

    /// <summary>
    /// The requester id the root complex sees for a DMA from this function: each conventional-PCI hop
    /// replaces it. A PCIe-to-PCI bridge tags conventional transactions with (secondary bus, 00.0); a
    /// conventional PCI-PCI bridge forwards with its own id (PCI Express to PCI/PCI-X Bridge spec §2.3;
    /// Linux models the same in pci_for_each_dma_alias).
    /// </summary>
    public Bdf RequesterIdSeenByRootComplex(Bdf bdf)
    {
        var current = bdf;
        var fromConventional = !(Find(bdf)?.IsPcie ?? true);
        foreach (var bridge in BridgesAbove(bdf))
        {
            switch (bridge.Kind)
            {
                case PciFunctionKind.PcieToPciBridge when fromConventional:
                    current = new Bdf(bridge.SecondaryBus!.Value, 0, 0);
                    fromConventional = false;
                    break;
                case PciFunctionKind.PciBridge:
                    current = bridge.Bdf;
                    fromConventional = !bridge.IsPcie;
                    break;
                default:
                    fromConventional = !bridge.IsPcie && fromConventional;
                    break;
            }
        }
        return current;
    }

    /// <summary>
    /// Every requester id that may carry this function's DMA (its own and each alias on the way up), in
    /// the order Linux's pci_for_each_dma_alias visits them.
    /// </summary>
    public IReadOnlyList<Bdf> DmaAliases(Bdf bdf)
    {
        var list = new List<Bdf> { bdf };
        var fromConventional = !(Find(bdf)?.IsPcie ?? true);
        foreach (var bridge in BridgesAbove(bdf))
        {
            if (bridge.Kind == PciFunctionKind.PcieToPciBridge && fromConventional)
            {
                list.Add(new Bdf(bridge.SecondaryBus!.Value, 0, 0));
                fromConventional = false;
            }
            else if (bridge.Kind == PciFunctionKind.PciBridge)
            {
                list.Add(bridge.Bdf);
                fromConventional = !bridge.IsPcie;
            }
        }
        return list.Distinct().ToList();
    }
}
