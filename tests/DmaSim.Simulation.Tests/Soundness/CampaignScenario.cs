using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using CsCheck;
using DmaSim.Core;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>What one generated step does. Buffers are numbered; `B` is a buffer index, `M` a mapping index.</summary>
internal enum Act
{
    DmaWrite, DmaRead, DmaPastEnd, DmaUnreachable,
    Unmap, UnmapWrongSize, UnmapWrongDirection, UnmapWrongFunction,
    SyncForCpu, SyncForDevice, SyncPastEnd,
    FreeCoherent, CoherentWrite,
    UnmapSg, Unbind,
    /// <summary>Lazy mode: ten milliseconds pass (the flush queue's timer).</summary>
    Wait,
    /// <summary>Lazy mode: 246–256 more mappings made and unmapped, so the flush queue reaches its capacity.</summary>
    Churn,
}

/// <summary>A mapping the scenario makes in its first phase: of at-buffer <see cref="Buffer"/>.</summary>
internal sealed record CampaignMap(int Buffer, int Direction, ulong Size, bool CheckError, bool AsPage);

internal sealed record CampaignStep(Act Act, int Target, ulong Offset, ulong Bytes, int Direction);

/// <summary>How the device's DMA reaches memory: no IOMMU (direct), a VT-d unit in hardware pass-through, or translated in a DMA domain with strict or lazy unmapping.</summary>
internal enum CampaignMode { Direct, PassThrough, Translated, Lazy }

/// <summary>
/// One generated scenario: a scripted device on a machine whose driver buffers sit at known physical
/// addresses (in an e820-reserved window, so no allocator hands them out), mapped in phase one, then
/// used, misused and released in phase two. Nothing is allocated after anything is released, so no
/// handle is reused and every expected finding follows from the step list.
/// </summary>
internal sealed record CampaignScenario(
    KernelProfile Profile, CampaignMode Mode, int DeviceBits, int Buffers, CampaignMap[] Maps,
    bool Coherent, ulong[] Sg, CampaignStep[] Steps)
{
    /// <summary>The unit sets CAP.CM (a virtual IOMMU): from 5.15 that makes unmapping strict.</summary>
    public bool CachingMode { get; init; }

    /// <summary>
    /// The device sits below an external-facing root port (00:07.0), so from 5.4 the kernel calls it untrusted
    /// and never defers its unmaps. Its mappings are whole pages: a sub-page one would be bounced (5.4–5.10
    /// bounce pages, dma-iommu's swiotlb for untrusted devices), which the campaign does not model.
    /// </summary>
    public bool Untrusted { get; init; }

    /// <summary>The unit sets CAP.ZLR (it can do zero-length reads): intel_dma_ops then maps from-device buffers write-only.</summary>
    public bool ZeroLengthRead { get; init; }

    /// <summary>A write into a VT-d page table (<see cref="CampaignOverwrite"/>): only in translated runs of a 64-bit engine, with the steps it brings.</summary>
    public CampaignOverwrite? Overwrite { get; init; }

    /// <summary>An extra buffer, never mapped by the drawn maps: the churn's mappings and the wait's CPU reads use it.</summary>
    private const int Spare = 4;

    /// <summary>The wait's length in steps: each step takes 1 µs of simulated time, so 10,000 are the flush queue's 10 ms.</summary>
    private const int WaitSteps = 10_000;

    public const int PhysBits = 36;
    public const ulong Window = 0x40000000;

    /// <summary>The physical address of at-buffer <paramref name="b"/>: 1 MiB apart, so they stay apart when 28 address lines wrap them.</summary>
    public static ulong BufferAddress(int b) => Window + (ulong)b * 0x100000;

    public static string DirectionWord(int d) => d switch { 0 => "bidirectional", 1 => "to-device", _ => "from-device" };

    /// <summary>kernel/dma/debug.c after 2e05ea5cdc1a (5.1): no page type; the modern check set (map error, overlap, sg segment).</summary>
    public bool Modern => !Profile.DmaDebug.Value.HasFlag(DmaDebugChecks.PageTypeDistinct);

    public static Gen<CampaignScenario> Gen { get; } = MakeGen();

    private static Gen<CampaignScenario> MakeGen()
    {
        var map = CsCheck.Gen.Select(CsCheck.Gen.Int[0, 3], CsCheck.Gen.Int[0, 2], CsCheck.Gen.ULong[1, 4096], CsCheck.Gen.Bool, CsCheck.Gen.Bool)
            .Select((b, d, s, c, p) => new CampaignMap(b, d, s, c, p));
        var step = CsCheck.Gen.Select(CsCheck.Gen.Int[0, (int)Act.Churn], CsCheck.Gen.Int[0, 7], CsCheck.Gen.ULong[0, 5000], CsCheck.Gen.ULong[1, 5000], CsCheck.Gen.Int[0, 2])
            .Select((a, t, o, n, d) => new CampaignStep((Act)a, t, o, n, d));
        // Mode 4 is lazy unmapping on a unit with caching mode, 5 lazy unmapping of an untrusted device.
        var scenario = CsCheck.Gen.Select(CsCheck.Gen.Int[0, ProfileCatalog.All.Count - 1], CsCheck.Gen.Int[0, 5], CsCheck.Gen.Bool.Select(b => b ? 64 : 28),
                map.Array[1, 5], CsCheck.Gen.Bool, CsCheck.Gen.ULong[1, 96 * 1024].Array[0, 3], step.Array[1, 12], CsCheck.Gen.Bool)
            .Select((p, mode, bits, maps, coherent, sg, steps, zlr) =>
            {
                var m = (CampaignMode)Math.Min(mode, (int)CampaignMode.Lazy);
                // Truncating engines get no allocator-placed buffers: their wrapped writes could land in them.
                var plain = bits == 28;
                // Translated sg lists are merged into IOVA segments by the era's map_sg: the campaign keeps sg to untranslated modes.
                var whole = mode == 5 ? [.. maps.Select(x => x with { Size = 4096 })] : maps;
                return new CampaignScenario(ProfileCatalog.All[p], m, bits, 4, whole, coherent && !plain, plain || m >= CampaignMode.Translated ? [] : sg, steps)
                {
                    CachingMode = mode == 4,
                    Untrusted = mode == 5,
                    ZeroLengthRead = zlr && m >= CampaignMode.Translated,
                };
            });
        // Drawn after the rest, so the scenarios without an overwrite stay as they were.
        return CsCheck.Gen.Select(scenario, CampaignOverwrite.Gen).Select((s, o) => s.With(o));
    }

    /// <summary>The scenario with the overwrite, where it applies (a truncating engine or an untrusted device's port would blur what it shows).</summary>
    private CampaignScenario With(CampaignOverwrite? o) =>
        o is null || !Translated || DeviceBits != 64 || Untrusted ? this : this with { Overwrite = o, Steps = o.Steps() };

    public bool PassThrough => Mode == CampaignMode.PassThrough;

    public bool Translated => Mode is CampaignMode.Translated or CampaignMode.Lazy;

    /// <summary>Waits and churn only matter where an unmap can be deferred, and cost 10,000 and ~500 steps: lazy mode, 3 of 8 drawn targets.</summary>
    private bool Rare(CampaignStep s) => Mode == CampaignMode.Lazy && s.Target < 3;

    /// <summary>
    /// How many mappings a churn step makes and unmaps: 246–256, so that with the few unmaps before it the
    /// queue lands just under, on and just over both eras' capacities (250 and 255), where an off-by-one shows.
    /// </summary>
    public static int ChurnCount(CampaignStep s) => 246 + (int)(s.Bytes % 11);

    /// <summary>
    /// The kernel command line: translated runs ask for a DMA domain (iommu.passthrough=0 overrides the
    /// 5.4+ CONFIG_IOMMU_DEFAULT_PASSTHROUGH build choice) with strict unmapping (intel_iommu=strict for
    /// 2.6.3x-4.19, iommu.strict=1 for 5.x+; drivers/iommu/intel-iommu.c intel_iommu_setup and
    /// drivers/iommu/iommu.c iommu_dma_setup).
    /// </summary>
    private string Cmdline => Mode switch
    {
        CampaignMode.PassThrough => "swiotlb=4096 intel_iommu=on iommu=pt",
        CampaignMode.Translated => "swiotlb=4096 intel_iommu=on,strict iommu.passthrough=0 iommu.strict=1",
        CampaignMode.Lazy => "swiotlb=4096 intel_iommu=on iommu.passthrough=0 iommu.strict=0",
        _ => "swiotlb=4096",
    };

    public string Yaml() => Yaml(withSteps: true);

    private string Yaml(bool withSteps)
    {
        var scenario = new ScenarioBuilder("soundness", seed: 1).PhysicalAddressBits(PhysBits)
            .Usable(0, 0x9ffff).Usable(0x100000, 0x7ffffff).Reserved(0x40000000, 0x4fffffff);
        if (Mode != CampaignMode.Direct) scenario.UnitRaw(UnitYaml(), hostAddressWidth: PhysBits + 4);
        if (Untrusted) scenario.Device("00:07.0", "port", "pcie-root-port", secondaryBus: 3, extra: "external-facing: true");
        if (Overwrite is not null) scenario.Device("04:00.0", "att", "scripted", addressBits: 64);
        // A small bounce pool (Cmdline) keeps boot cheap; nothing here bounces.
        scenario.Device("03:00.0", "dev", "scripted", addressBits: DeviceBits)
            .Kernel(Profile.Name, Cmdline)
            .Driver("dev", dmaMaskBits: 64, coherentDmaMaskBits: 32);
        if (!withSteps) return scenario.Yaml();
        var steps = new List<string>();
        void L(string step) => steps.Add(step);
        for (var b = 0; b <= Spare; b++)
            L($"{{ op: alloc-buffer, size: 4KiB, as: b{b}, at: 0x{BufferAddress(b):x} }}");
        for (var i = 0; i < Maps.Length; i++)
        {
            var m = Maps[i];
            L($"{{ device: dev, op: map, buffer: b{m.Buffer}, size: {m.Size}, direction: {DirectionWord(m.Direction)}, as: m{i}, check-error: {(m.CheckError ? "true" : "false")}, as-function: {(m.AsPage ? "map-page" : "map-single")} }}");
        }
        if (Coherent) L("{ device: dev, op: alloc-coherent, size: 4KiB, as: c }");
        if (Sg.Length > 0) L($"{{ device: dev, op: map-sg, segments: [{string.Join(", ", Sg)}], direction: to-device, as: sg }}");
        for (var i = 0; i < Steps.Length; i++)
            if (StepYaml(Steps[i], i) is { } text) L(text);
        scenario.Workload(steps);
        // Not a workload step: the test's hook does it before the last step.
        if (Overwrite is not null) scenario.Section($"# then: {Overwrite}");
        return scenario.Yaml();
    }

    /// <summary>
    /// The VT-d unit: described by its features, or — to set CAP.ZLR, which has no feature key — by the raw
    /// CAP/ECAP those features give with ZLR added (as `dmasim import` writes a real unit).
    /// </summary>
    private string UnitYaml()
    {
        // With an overwrite the unit covers only dev: att's DMA is untranslated.
        var scope = Overwrite is null ? "include-pci-all: true" : "devices: [dev]";
        var features = $"pass-through: true, sagaw: [39, 48]{(CachingMode ? ", caching-mode: true" : "")}";
        if (!ZeroLengthRead) return $"{{ base: 0xfed90000, {scope}, {features} }}";
        var unit = VtdUnitConfig.Qemu48() with
        {
            RegisterBase = 0xfed90000,
            HostAddressWidth = PhysBits + 4,
            MaxGuestAddressWidth = 48,
            Sagaw = VtdCap.SagawBitForWidth(39) | VtdCap.SagawBitForWidth(48),
            PassThrough = true,
            CachingMode = CachingMode,
            FaultRecordingRegisters = 8,
            ZeroLengthRead = true,
        };
        return $"{{ base: 0xfed90000, {scope}, cap: 0x{unit.BuildCap():x}, ecap: 0x{unit.BuildEcap():x} }}";
    }

    /// <summary>The step (number <paramref name="index"/>) as written, or null when it names something this scenario lacks.</summary>
    public string? StepYaml(CampaignStep s, int index)
    {
        var m = s.Target % Maps.Length;
        var map = Maps[m];
        var inv = CultureInfo.InvariantCulture;
        return s.Act switch
        {
            Act.DmaWrite => $"{{ device: dev, op: dma-write, target: m{m}, offset: {s.Offset % map.Size}, bytes: {Math.Min(s.Bytes, map.Size - s.Offset % map.Size)} }}",
            Act.DmaRead => $"{{ device: dev, op: dma-read, target: m{m}, offset: {s.Offset % map.Size}, bytes: {Math.Min(s.Bytes, map.Size - s.Offset % map.Size)} }}",
            Act.DmaPastEnd => $"{{ device: dev, op: dma-write, target: m{m}, offset: {s.Offset % (map.Size + 64)}, bytes: {map.Size + s.Bytes % 4096} }}",
            Act.DmaUnreachable => $"{{ device: dev, op: dma-write, target: m{m}, offset: {(1UL << PhysBits).ToString(inv)}, bytes: 64 }}",
            Act.Unmap => $"{{ device: dev, op: unmap, target: m{m} }}",
            Act.UnmapWrongSize => $"{{ device: dev, op: unmap, target: m{m}, size: {WrongSize(map.Size)} }}",
            Act.UnmapWrongDirection => $"{{ device: dev, op: unmap, target: m{m}, direction: {DirectionWord((map.Direction + 1 + s.Direction % 2) % 3)} }}",
            Act.UnmapWrongFunction => $"{{ device: dev, op: unmap, target: m{m}, as-function: {(map.AsPage ? "unmap-single" : "unmap-page")} }}",
            Act.SyncForCpu => $"{{ device: dev, op: sync-for-cpu, target: m{m}, direction: {DirectionWord(s.Direction)}, offset: 0, bytes: {map.Size} }}",
            Act.SyncForDevice => $"{{ device: dev, op: sync-for-device, target: m{m}, direction: {DirectionWord(s.Direction)}, offset: 0, bytes: {map.Size} }}",
            Act.SyncPastEnd => $"{{ device: dev, op: sync-for-cpu, target: m{m}, offset: 0, bytes: {map.Size + 1} }}",
            Act.FreeCoherent when Coherent => "{ device: dev, op: free-coherent, target: c }",
            Act.CoherentWrite when Coherent => $"{{ device: dev, op: dma-write, target: c, offset: {s.Offset % 4096}, bytes: {Math.Min(s.Bytes, 4096 - s.Offset % 4096)} }}",
            Act.UnmapSg when Sg.Length > 0 => "{ device: dev, op: unmap-sg, target: sg }",
            Act.Unbind => "{ device: dev, op: unbind }",
            Act.Wait when Rare(s) => $"{{ device: dev, op: cpu-read, target: b{Spare}, offset: 0, bytes: 1, repeat: {WaitSteps} }}",
            Act.Churn when Rare(s) => $"{{ device: dev, op: map, buffer: b{Spare}, size: 4096, direction: to-device, as: churn{index}, check-error: true, as-function: map-single, repeat: {ChurnCount(s)} }}\n"
                + $"  - {{ device: dev, op: unmap, target: churn{index}, repeat: {ChurnCount(s)} }}",
            _ => null,
        };
    }

    public static ulong WrongSize(ulong size) => size == 1 ? 2 : size - 1;

    private static readonly ConcurrentDictionary<(string, CampaignMode, bool, bool, bool, int, bool), Scenario> _platforms = new();

    /// <summary>
    /// The scenario as the loader would produce it from <see cref="Yaml()"/>: the platform part is parsed
    /// once per (profile, pass-through, address bits), the steps are made as the step records directly,
    /// so ten thousand runs do not parse ten thousand files.
    /// </summary>
    public Scenario Build()
    {
        var template = _platforms.GetOrAdd((Profile.Name, Mode, CachingMode, Untrusted, ZeroLengthRead, DeviceBits, Overwrite is not null), _ => SimRig.Parse(Yaml(withSteps: false)));
        var steps = ImmutableArray.CreateBuilder<WorkloadStep>();
        for (var b = 0; b <= Spare; b++) steps.Add(new AllocBufferStep(null, 4096, "b" + b, new PhysAddr(BufferAddress(b)), 1, false, default));
        for (var i = 0; i < Maps.Length; i++)
        {
            var m = Maps[i];
            steps.Add(new MapStep("dev", (StepDirection)m.Direction, "m" + i, m.Size, new BufferRef("b" + m.Buffer, false), 0,
                m.AsPage ? MapFunction.MapPage : MapFunction.MapSingle, m.CheckError, 1, false, default));
        }
        if (Coherent) steps.Add(new AllocCoherentStep("dev", 4096, "c", 1, false, default));
        if (Sg.Length > 0) steps.Add(new MapSgStep("dev", [.. Sg], StepDirection.ToDevice, "sg", 1, false, default));
        for (var i = 0; i < Steps.Length; i++)
        {
            if (Rare(Steps[i]) && Steps[i].Act == Act.Churn) steps.AddRange(ChurnRecords(Steps[i], i));
            else if (StepRecord(Steps[i]) is { } step) steps.Add(step);
        }
        return template with { Workload = steps.ToImmutable() };
    }

    private IEnumerable<OpStep> ChurnRecords(CampaignStep s, int index)
    {
        var n = ChurnCount(s);
        yield return new MapStep("dev", StepDirection.ToDevice, "churn" + index, 4096, new BufferRef("b" + Spare, false), 0, MapFunction.MapSingle, true, n, true, default);
        yield return new UnmapStep("dev", new BufferRef("churn" + index, true), null, null, null, n, true, default);
    }

    private OpStep? StepRecord(CampaignStep s)
    {
        var mi = s.Target % Maps.Length;
        var map = Maps[mi];
        var m = new BufferRef("m" + mi, false);
        var off = s.Offset % map.Size;
        AccessStep Dma(ScriptOp op, BufferRef t, ulong o, ulong n) => new(op, "dev", t, o, n, 1, false, default);
        return s.Act switch
        {
            Act.DmaWrite => Dma(ScriptOp.DmaWrite, m, off, Math.Min(s.Bytes, map.Size - off)),
            Act.DmaRead => Dma(ScriptOp.DmaRead, m, off, Math.Min(s.Bytes, map.Size - off)),
            Act.DmaPastEnd => Dma(ScriptOp.DmaWrite, m, s.Offset % (map.Size + 64), map.Size + s.Bytes % 4096),
            Act.DmaUnreachable => Dma(ScriptOp.DmaWrite, m, 1UL << PhysBits, 64),
            Act.Unmap => new UnmapStep("dev", m, null, null, null, 1, false, default),
            Act.UnmapWrongSize => new UnmapStep("dev", m, WrongSize(map.Size), null, null, 1, false, default),
            Act.UnmapWrongDirection => new UnmapStep("dev", m, null, (StepDirection)((map.Direction + 1 + s.Direction % 2) % 3), null, 1, false, default),
            Act.UnmapWrongFunction => new UnmapStep("dev", m, null, null, map.AsPage ? MapFunction.MapSingle : MapFunction.MapPage, 1, false, default),
            Act.SyncForCpu => new SyncStep(ScriptOp.SyncForCpu, "dev", m, (StepDirection)s.Direction, 0, map.Size, 1, false, default),
            Act.SyncForDevice => new SyncStep(ScriptOp.SyncForDevice, "dev", m, (StepDirection)s.Direction, 0, map.Size, 1, false, default),
            Act.SyncPastEnd => new SyncStep(ScriptOp.SyncForCpu, "dev", m, null, 0, map.Size + 1, 1, false, default),
            Act.FreeCoherent when Coherent => new FreeCoherentStep("dev", new BufferRef("c", false), 1, false, default),
            Act.CoherentWrite when Coherent => Dma(ScriptOp.DmaWrite, new BufferRef("c", false), s.Offset % 4096, Math.Min(s.Bytes, 4096 - s.Offset % 4096)),
            Act.UnmapSg when Sg.Length > 0 => new UnmapSgStep("dev", new BufferRef("sg", false), 1, false, default),
            Act.Unbind => new UnbindStep("dev", 1, false, default),
            Act.Wait when Rare(s) => new AccessStep(ScriptOp.CpuRead, "dev", new BufferRef("b" + Spare, false), 0, 1, WaitSteps, true, default),
            _ => null,
        };
    }

    public override string ToString() => Yaml();
}
