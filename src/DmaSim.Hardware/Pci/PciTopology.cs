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
    /// <summary>Upstream port of a PCIe switch: requester ids pass through unchanged.</summary>
    PcieUpstreamPort,
    /// <summary>Downstream port of a PCIe switch: requester ids pass through unchanged.</summary>
    PcieDownstreamPort,
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
    uint ClassCode = 0,
    bool Acs = false,
    bool ExternalFacing = false)
{
    public bool IsBridge => Kind != PciFunctionKind.Endpoint;

    /// <summary>A PCIe port (root, switch upstream or downstream): forwards requester ids unchanged.</summary>
    public bool IsPciePort => Kind is PciFunctionKind.PcieRootPort or PciFunctionKind.PcieUpstreamPort or PciFunctionKind.PcieDownstreamPort;

    /// <summary>A USB host controller (class 0x0c03xx, PCI_CLASS_SERIAL_USB).</summary>
    public bool IsUsb => ClassCode >> 8 == 0x0c03;

    /// <summary>IS_GFX_DEVICE: base class 0x03, PCI_BASE_CLASS_DISPLAY.</summary>
    public bool IsGraphics => ClassCode >> 16 == 0x03;
}

/// <summary>
/// The PCI hierarchy of segment 0: which functions exist, which bridge each sits behind, and which
/// requester id a function's DMA carries when it reaches the root complex.
/// </summary>
public sealed class PciTopology
{
    private readonly Dictionary<Bdf, PciFunction> _functions = [];
    private readonly Dictionary<byte, PciFunction> _bridgeBySecondaryBus = [];
    // Every DMA asks which requester id reaches the root complex; functions are immutable and only added, so
    // the answer per function holds until the next Add (which clears it).
    private readonly Dictionary<Bdf, Bdf> _requesterIds = [];

    public IEnumerable<PciFunction> Functions => _functions.Values.OrderBy(f => f.Bdf);

    public void Add(PciFunction f)
    {
        if (!_functions.TryAdd(f.Bdf, f)) throw new ArgumentException($"two functions at {f.Bdf}");
        _requesterIds.Clear();
        Version++;
        if (f.IsBridge)
        {
            if (f.SecondaryBus is not { } sec) throw new ArgumentException($"bridge {f.Bdf} needs a secondary bus");
            if (!_bridgeBySecondaryBus.TryAdd(sec, f)) throw new ArgumentException($"two bridges claim secondary bus {sec:x2}");
        }
    }

    /// <summary>Changes with every function added (hot-plug included): what was derived from the topology may be stale.</summary>
    public int Version { get; private set; }

    public PciFunction? Find(Bdf bdf) => _functions.GetValueOrDefault(bdf);

    /// <summary>The bridge whose secondary bus the function is on, or null on the root bus.</summary>
    public PciFunction? UpstreamBridge(Bdf bdf) => _bridgeBySecondaryBus.GetValueOrDefault(bdf.Bus);

    /// <summary>
    /// Another function shares the slot (bus, device): the header's multi-function bit, which is set
    /// whenever a slot holds more than function 0 (PCI Local Bus spec 6.2.1).
    /// </summary>
    public bool IsMultifunction(Bdf bdf) =>
        _functions.Keys.Any(b => b.Bus == bdf.Bus && b.Device == bdf.Device && b.Function != bdf.Function);

    /// <summary>The other functions of the same slot, in function order.</summary>
    public IEnumerable<PciFunction> SlotSiblings(Bdf bdf) =>
        Functions.Where(f => f.Bdf.Bus == bdf.Bus && f.Bdf.Device == bdf.Device && f.Bdf.Function != bdf.Function);

    /// <summary>
    /// The root buses in the order the kernel scans them, where that is not ascending: x86 scans the ACPI host bridges in
    /// namespace order (acpi_pci_root_add), then probes the bus numbers no bridge claimed (arch/x86/pci/legacy.c
    /// pcibios_fixup_peer_bridges, "PCI: Discovered peer bus 1f"), so a Sandy Bridge-EP server adds bus 20 before 1f.
    /// </summary>
    public IReadOnlyList<byte> RootBusOrder { get; set; } = [];

    /// <summary>
    /// Functions in the order a depth-first bus scan adds them (drivers/pci/probe.c pci_scan_child_bus_extend:
    /// every slot of a bus first, then each bridge's subtree in devfn order). Root buses in <see cref="RootBusOrder"/>,
    /// then bus 0, then every other bus that no bridge provides, bus by bus.
    /// </summary>
    public IReadOnlyList<PciFunction> ScanOrder()
    {
        var order = new List<PciFunction>();
        var visited = new HashSet<byte>();
        void Scan(byte bus)
        {
            if (!visited.Add(bus)) return;
            var onBus = Functions.Where(f => f.Bdf.Bus == bus).ToList();
            order.AddRange(onBus);
            foreach (var b in onBus.Where(f => f.IsBridge)) Scan(b.SecondaryBus!.Value);
        }
        foreach (var root in RootBusOrder) Scan(root);
        Scan(0);
        foreach (var bus in Functions.Select(f => f.Bdf.Bus).Distinct().Order())
            if (UpstreamBridge(new Bdf(bus, 0, 0)) is null) Scan(bus);
        return order;
    }

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
        if (_requesterIds.TryGetValue(bdf, out var known)) return known;
        return _requesterIds[bdf] = RequesterIdThroughBridges(bdf);
    }

    private Bdf RequesterIdThroughBridges(Bdf bdf)
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
