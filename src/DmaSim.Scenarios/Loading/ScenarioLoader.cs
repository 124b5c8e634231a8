using System.Collections.Immutable;
using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>
/// Loads `schema: dmasim/v1` scenarios. Any problem — YAML syntax, an unknown key, a bad value, a broken
/// reference — is an <see cref="InputException"/> whose message is "FILE:LINE:COL: error: problem"; the
/// first problem in reading order wins.
/// </summary>
public static partial class ScenarioLoader
{
    private static readonly string[] _keys = ["schema", "name", "description", "seed", "platform", "kernel", "drivers", "workload", "expect"];

    /// <summary>Reads and parses a scenario file; a `dmar-table:` it names must exist too.</summary>
    public static Scenario Load(string path)
    {
        var text = InputFiles.ReadText(path, "scenario", InputFiles.MaxScenarioBytes);
        var scenario = Parse(text, path);
        if (scenario.Platform.Iommu is DmarTableIommu table && !File.Exists(table.ResolvedPath))
            throw new InputException(table.Span, $"dmar-table file not found: {table.ResolvedPath}");
        return scenario;
    }

    /// <summary>
    /// Parses scenario text; <paramref name="fileName"/> is what errors print and what a relative
    /// `dmar-table:` is resolved against. Touches no file.
    /// </summary>
    public static Scenario Parse(string yamlText, string fileName) => FromTree(YamlTree.Read(yamlText, fileName), fileName);

    /// <summary>A scenario from an already-read YAML tree (a sweep's edited copy of one).</summary>
    internal static Scenario FromTree(YNode root, string fileName)
    {
        if (root is YScalar { IsNull: true }) throw Error(root.Span, "the file holds no scenario; it starts with 'schema: dmasim/v1'");
        var m = Map(root, "scenario", _keys);

        // The schema comes first: with another version, every later message would be misleading.
        var schemaNode = m.Get("schema") ?? throw Error(m.Span, $"scenario needs 'schema: {Scenario.SchemaV1}'");
        var schema = Text(schemaNode, "schema");
        if (schema != Scenario.SchemaV1)
            throw Error(schemaNode.Span, $"unsupported schema '{schema}'; this build reads {Scenario.SchemaV1}");

        var name = Text(m.Required("name"), "name");
        var description = m.Get("description") is { } d ? OptionalText(d, "description") : "";
        var seed = m.Get("seed") is { } s ? Number(s, "seed") : 0UL;
        var (platform, devices) = PlatformReader.Read(m.Required("platform"), fileName);
        var kernel = ReadKernel(m.Required("kernel"));
        var drivers = ReadDrivers(m.Get("drivers"), devices);
        var workload = new WorkloadReader(platform, devices).Read(m.Get("workload"));
        var expect = ExpectReader.Read(m.Get("expect"), devices);
        return new Scenario(schema, name, description, seed, platform, kernel, drivers, workload, expect, fileName, m.Span);
    }

    private static KernelConfig ReadKernel(YNode node)
    {
        var m = Map(node, "kernel", "profile", "cmdline", "version", "config");
        var profile = ExpectReader.Profile(m.Required("profile"));
        var cmdline = m.Get("cmdline") is { } c ? OptionalText(c, "cmdline") : "";
        string? version = null;
        if (m.Get("version") is { } v)
        {
            // As `uname -r` / "Linux version …" prints it: x.y[.z] and any suffix ("5.11.22-4-pve", "2.6.32-rc5").
            version = Text(v, "version");
            if (!KernelVersionText().IsMatch(version))
                throw Error(v.Span, $"version '{version}' is not a kernel release like 5.11.22 or 2.6.32-rc5");
        }
        bool? defaultOn = null;
        DefaultDmaChoice? defaultDma = null;
        bool? swiotlbDynamic = null;
        if (m.Get("config") is { } cfg)
        {
            // The build options that decide policy (docs/kernel-model.md, "Build configuration").
            var cm = Map(cfg, "kernel.config", "intel-iommu-default-on", "iommu-default-dma", "swiotlb-dynamic");
            if (cm.Get("intel-iommu-default-on") is { } on) defaultOn = Flag(on, "intel-iommu-default-on");
            if (cm.Get("iommu-default-dma") is { } dma) defaultDma = Word(dma, "iommu-default-dma", Vocabulary.DefaultDma);
            if (cm.Get("swiotlb-dynamic") is { } dyn) swiotlbDynamic = Flag(dyn, "swiotlb-dynamic");
        }
        return new KernelConfig(profile, cmdline, m.Span, version) { IntelIommuDefaultOn = defaultOn, IommuDefaultDma = defaultDma, SwiotlbDynamic = swiotlbDynamic };
    }

    private static ImmutableArray<DriverConfig> ReadDrivers(YNode? node, DeviceIndex devices)
    {
        if (node is null) return [];
        var drivers = ImmutableArray.CreateBuilder<DriverConfig>();
        foreach (var item in List(node, "drivers"))
        {
            var m = Map(item, "driver entry", "device", "dma-mask-bits", "coherent-dma-mask-bits");
            var device = devices.ResolveEndpoint(m.Required("device"), "device").Name;
            if (drivers.FirstOrDefault(x => x.Device == device) is { } earlier)
                throw Error(m.Span, $"'{device}' already has a driver entry at line {earlier.Span.Line}");
            var dma = m.Get("dma-mask-bits") is { } dm ? Bits(dm, "dma-mask-bits") : (int?)null;
            var coherent = m.Get("coherent-dma-mask-bits") is { } cm ? Bits(cm, "coherent-dma-mask-bits") : (int?)null;
            drivers.Add(new DriverConfig(device, dma, coherent, m.Span));
        }
        return drivers.ToImmutable();
    }

    // ASCII digits: \d would also take other scripts' digits, which KernelVersion.TryParse does not read.
    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,4})?([-+~.][0-9A-Za-z._+~-]*)?$")]
    private static partial System.Text.RegularExpressions.Regex KernelVersionText();
}
