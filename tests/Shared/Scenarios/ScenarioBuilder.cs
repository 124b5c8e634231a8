using System.Globalization;
using DmaSim.Scenarios;

namespace DmaSim.Testing;

/// <summary>
/// A dmasim/v1 scenario from typed parts, for tests whose subject is the machine, not the file format. It writes
/// the YAML and loads it with the real <see cref="ScenarioLoader"/>, so every rule of the format still applies to
/// what a test builds. Parts appear in the order they are added; a workload step is one flow mapping
/// ("{ device: dev, op: map, … }"), as scenarios write it.
/// </summary>
internal sealed class ScenarioBuilder(string name, ulong? seed = null)
{
    private int _physicalAddressBits = 40;
    private readonly List<string> _memory = [];
    private int? _hostAddressWidth;
    private readonly List<string> _units = [];
    private readonly List<string> _rmrrs = [];
    private readonly List<string> _iommuExtras = [];
    private string? _dmarTable;
    private string? _rootBuses;
    private string? _firmwareFaults;
    private readonly List<string> _devices = [];
    private readonly List<string> _kernel = ["  profile: linux-2.6.32"];
    private string? _kernelConfig;
    private readonly List<string> _drivers = [];
    private List<string>? _workload;
    private readonly List<string> _sections = [];

    /// <summary>The last byte of RAM below the PCI hole in <see cref="PcMemory"/>'s map unless a test moves it.</summary>
    public const ulong LowEnd = 0xbfffffff;

    public ScenarioBuilder PhysicalAddressBits(int bits)
    {
        _physicalAddressBits = bits;
        return this;
    }

    public ScenarioBuilder Usable(ulong start, ulong end) => Memory(start, end, "usable");

    public ScenarioBuilder Reserved(ulong start, ulong end) => Memory(start, end, "reserved");

    public ScenarioBuilder Memory(ulong start, ulong end, string type)
    {
        _memory.Add($"{{ start: {Hex(start)}, end: {Hex(end)}, type: {type} }}");
        return this;
    }

    /// <summary>
    /// A PC's e820 map: RAM below 640 KiB and from 1 MiB to <paramref name="lowEnd"/>, the PCI hole up to 4 GiB
    /// reserved (when <paramref name="reservedHole"/>), RAM from 4 GiB to <paramref name="highEnd"/> (none when null).
    /// </summary>
    public ScenarioBuilder PcMemory(ulong? highEnd = 0x23fffffff, ulong lowEnd = LowEnd, bool reservedHole = true)
    {
        Usable(0, 0x9ffff).Usable(0x100000, lowEnd);
        if (reservedHole && lowEnd < 0xffffffff) Reserved(lowEnd + 1, 0xffffffff);
        return highEnd is { } high ? Usable(0x100000000, high) : this;
    }

    /// <summary>One remapping unit (DRHD); the first one also declares the table's host address width.</summary>
    public ScenarioBuilder Unit(bool passThrough = true, string? sagaw = "39, 48", int hostAddressWidth = 40,
        ulong registerBase = 0xfed90000, bool includePciAll = true, string? extra = null)
    {
        _hostAddressWidth ??= hostAddressWidth;
        var fields = new List<string> { $"base: {Hex(registerBase)}", $"include-pci-all: {Bool(includePciAll)}", $"pass-through: {Bool(passThrough)}" };
        if (sagaw is not null) fields.Add($"sagaw: [{sagaw}]");
        if (extra is not null) fields.Add(extra);
        return UnitRaw("{ " + string.Join(", ", fields) + " }", hostAddressWidth);
    }

    /// <summary>A unit written as its flow mapping, for fields <see cref="Unit"/> does not name.</summary>
    public ScenarioBuilder UnitRaw(string flowMapping, int hostAddressWidth = 40)
    {
        _hostAddressWidth ??= hostAddressWidth;
        _units.Add(flowMapping);
        return this;
    }

    /// <summary>The remapping hardware read from a real DMAR table instead of listed units.</summary>
    public ScenarioBuilder DmarTable(string path)
    {
        _dmarTable = path;
        return this;
    }

    public ScenarioBuilder Rmrr(ulong start, ulong end, params string[] devices)
    {
        _rmrrs.Add($"{{ start: {Hex(start)}, end: {Hex(end)}, devices: [{string.Join(", ", devices.Select(d => $"\"{d}\""))}] }}");
        return this;
    }

    /// <summary>An inline IOMMU list besides units and RMRRs ("atsr", "{ all-ports: true }"), one entry per call.</summary>
    public ScenarioBuilder IommuList(string key, string flowMapping)
    {
        _iommuExtras.Add($"    {key}:\n      - {flowMapping}");
        return this;
    }

    /// <summary>An inline IOMMU scalar key ("platform-opt-in", "true").</summary>
    public ScenarioBuilder IommuKey(string key, string value)
    {
        _iommuExtras.Add($"    {key}: {value}");
        return this;
    }

    /// <summary><c>platform.firmware-faults</c> as a flow list ("[]", "[drhd-at-zero]").</summary>
    public ScenarioBuilder FirmwareFaults(string flowList)
    {
        _firmwareFaults = flowList;
        return this;
    }

    /// <summary><c>platform.root-buses</c> as a flow list ("[0x00, 0x20, 0x1f]").</summary>
    public ScenarioBuilder RootBuses(string flowList)
    {
        _rootBuses = flowList;
        return this;
    }

    /// <summary>A PCI function; <paramref name="extra"/> adds fields as written ("firmware-dma: rmrr").</summary>
    public ScenarioBuilder Device(string bdf, string name, string model, int? addressBits = null, bool? pcie = null,
        int? descriptorAddressBits = null, int? secondaryBus = null, string? extra = null)
    {
        var fields = new List<string> { $"bdf: \"{bdf}\"", $"name: {name}", $"model: {model}" };
        if (pcie is { } p) fields.Add($"pcie: {Bool(p)}");
        if (addressBits is { } a) fields.Add($"address-bits: {a}");
        if (descriptorAddressBits is { } d) fields.Add($"descriptor-address-bits: {d}");
        if (secondaryBus is { } s) fields.Add($"secondary-bus: {s}");
        if (extra is not null) fields.Add(extra);
        _devices.Add("{ " + string.Join(", ", fields) + " }");
        return this;
    }

    /// <summary>The kernel: its profile, command line (quoted as given) and, optionally, the release it claims.</summary>
    public ScenarioBuilder Kernel(string profile, string? cmdline = null, string? version = null)
    {
        _kernel.Clear();
        _kernel.Add($"  profile: {profile}");
        if (version is not null) _kernel.Add($"  version: \"{version}\"");
        if (cmdline is not null) _kernel.Add($"  cmdline: \"{cmdline}\"");
        return this;
    }

    /// <summary><c>kernel.config</c>, the build options, as a flow mapping ("{ iommu-default-dma: strict }").</summary>
    public ScenarioBuilder KernelConfig(string flowMapping)
    {
        _kernelConfig = flowMapping;
        return this;
    }

    /// <summary>A <c>drivers:</c> entry setting the masks the driver asks for.</summary>
    public ScenarioBuilder Driver(string device, int? dmaMaskBits = null, int? coherentDmaMaskBits = null)
    {
        var fields = new List<string> { $"device: {device}" };
        if (dmaMaskBits is { } m) fields.Add($"dma-mask-bits: {m}");
        if (coherentDmaMaskBits is { } c) fields.Add($"coherent-dma-mask-bits: {c}");
        return DriverRaw("{ " + string.Join(", ", fields) + " }");
    }

    /// <summary>A <c>drivers:</c> entry written as its flow mapping.</summary>
    public ScenarioBuilder DriverRaw(string flowMapping)
    {
        _drivers.Add(flowMapping);
        return this;
    }

    /// <summary>Workload steps, each one flow mapping; called with none, the scenario has an empty <c>workload:</c>.</summary>
    public ScenarioBuilder Workload(params IEnumerable<string> steps)
    {
        (_workload ??= []).AddRange(steps);
        return this;
    }

    /// <summary>A top-level section written as is, after the rest (for example <c>config:</c>).</summary>
    public ScenarioBuilder Section(string yaml)
    {
        _sections.Add(yaml.TrimEnd('\n'));
        return this;
    }

    public string Yaml()
    {
        var y = new List<string> { "schema: dmasim/v1", $"name: {name}" };
        if (seed is { } s) y.Add($"seed: {s}");
        y.Add("platform:");
        y.Add($"  physical-address-bits: {_physicalAddressBits}");
        y.Add("  memory:");
        y.AddRange(_memory.Select(m => "    - " + m));
        if (_dmarTable is not null) y.AddRange(["  iommu:", $"    dmar-table: \"{_dmarTable}\""]);
        if (_units.Count > 0)
        {
            y.AddRange(["  iommu:", $"    host-address-width: {_hostAddressWidth}", "    units:"]);
            y.AddRange(_units.Select(u => "      - " + u));
            if (_rmrrs.Count > 0) y.Add("    rmrr:");
            y.AddRange(_rmrrs.Select(r => "      - " + r));
            y.AddRange(_iommuExtras);
        }
        if (_firmwareFaults is not null) y.Add($"  firmware-faults: {_firmwareFaults}");
        if (_rootBuses is not null) y.Add($"  root-buses: {_rootBuses}");
        if (_devices.Count > 0) y.Add("  devices:");
        y.AddRange(_devices.Select(d => "    - " + d));
        y.Add("kernel:");
        y.AddRange(_kernel);
        if (_kernelConfig is not null) y.Add($"  config: {_kernelConfig}");
        if (_drivers.Count > 0) y.Add("drivers:");
        y.AddRange(_drivers.Select(d => "  - " + d));
        if (_workload is not null) y.Add(_workload.Count > 0 ? "workload:" : "workload: []");
        y.AddRange((_workload ?? []).Select(w => "  - " + w));
        y.AddRange(_sections);
        return string.Join('\n', y) + "\n";
    }

    /// <summary>The scenario, loaded by the real loader from <see cref="Yaml"/>.</summary>
    public Scenario Build(string fileName = "test.yaml") => ScenarioLoader.Parse(Yaml(), fileName);

    private static string Hex(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static string Bool(bool b) => b ? "true" : "false";
}
