using System.Collections.Immutable;
using System.Globalization;
using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>
/// Reads `workload:` in order, tracking the buffer names steps create so that a later `target:` or
/// `buffer:` can be checked. Names stay known after unmap/free on purpose: using a buffer after releasing
/// it is a DMA-API misuse scenarios exist to show.
/// </summary>
internal sealed class WorkloadReader(PlatformConfig platform, DeviceIndex devices)
{
    private static readonly string[] _opKeys =
    [
        "device", "op", "size", "as", "target", "buffer", "direction", "offset", "bytes", "at",
        "dma-mask-bits", "coherent-dma-mask-bits", "as-function", "check-error", "segments", "repeat",
    ];

    private static readonly string[] _runKeys = ["device", "run", "count", "size", "repeat"];

    /// <summary>Per op: the keys it must have and the keys it may have, besides device, op and repeat.</summary>
    private static readonly Dictionary<ScriptOp, (string[] Required, string[] Optional)> _opFields = new()
    {
        [ScriptOp.AllocCoherent] = (["size", "as"], []),
        [ScriptOp.FreeCoherent] = (["target"], []),
        [ScriptOp.Map] = (["direction", "as"], ["size", "buffer", "offset", "as-function", "check-error"]),
        [ScriptOp.Unmap] = (["target"], ["direction", "size", "as-function"]),
        [ScriptOp.SyncForCpu] = (["target"], ["direction", "offset", "bytes"]),
        [ScriptOp.SyncForDevice] = (["target"], ["direction", "offset", "bytes"]),
        [ScriptOp.DmaRead] = (["target"], ["offset", "bytes"]),
        [ScriptOp.DmaWrite] = (["target"], ["offset", "bytes"]),
        [ScriptOp.CpuRead] = (["target"], ["offset", "bytes"]),
        [ScriptOp.CpuWrite] = (["target"], ["offset", "bytes"]),
        [ScriptOp.SetMask] = ([], ["dma-mask-bits", "coherent-dma-mask-bits"]),
        [ScriptOp.AllocBuffer] = (["size", "as"], ["at"]),
        [ScriptOp.Unbind] = ([], []),
        [ScriptOp.MapSg] = (["segments", "direction", "as"], []),
        [ScriptOp.UnmapSg] = (["target"], []),
    };

    /// <summary>The kind of thing a name stands for, so an op gets what it can work on.</summary>
    private enum BufferKind { Coherent, Mapping, KernelBuffer, SgList }

    private sealed record BufferInfo(BufferKind Kind, ScriptOp CreatedBy, int? GroupSize, int Line);

    /// <summary>Upper bound on repeat: enough for swiotlb-exhaustion scenarios, small enough to stay a typo check.</summary>
    private const int MaxRepeat = ScenarioLimits.MaxRepeat;

    private readonly Dictionary<string, BufferInfo> _buffers = new(StringComparer.Ordinal);
    private readonly List<(PhysRange Range, int Line)> _hotplugged = [];

    public ImmutableArray<WorkloadStep> Read(YNode? node)
    {
        if (node is null) return [];
        var steps = ImmutableArray.CreateBuilder<WorkloadStep>();
        ulong operations = 0, runBytes = 0;
        foreach (var item in List(node, "workload"))
        {
            var step = ReadStep(item);
            // Aliases make a short file repeat one step many times; the sum is what the run costs.
            operations += (ulong)step.Repeat * (step is RunStep run ? run.Count : 1);
            if (operations > ScenarioLimits.MaxOperations)
                throw Error(step.Span, $"the workload runs more than {ScenarioLimits.MaxOperations} operations up to here (repeat × count, summed over the steps; docs/limits.md)");
            if (step is RunStep { Run: RunJob.Io } io)
            {
                // Each factor is bounded (repeat 2^20, count 2^16, size 2^26), so the product fits in 64 bits.
                runBytes += (ulong)io.Repeat * io.Count * (io.Size ?? ScenarioLimits.DefaultRunTransferBytes);
                if (runBytes > ScenarioLimits.MaxRunBytes)
                    throw Error(step.Span, $"the workload's io jobs move more than {Sizes.Format(ScenarioLimits.MaxRunBytes)} up to here (repeat × count × size, summed; each byte is written and read back for real; docs/limits.md)");
            }
            steps.Add(step);
        }
        return steps.ToImmutable();
    }

    private WorkloadStep ReadStep(YNode node)
    {
        if (node is not YMapping map) throw Error(node.Span, $"a workload step must be a mapping, not {node.Describe()}");
        var kinds = map.Entries.Where(e => e.Key.Value is "op" or "run" or "hotplug-memory").Select(e => e.Key).ToList();
        if (kinds.Count == 0) throw Error(node.Span, "a workload step needs 'op', 'run' or 'hotplug-memory'");
        if (kinds.Count > 1) throw Error(kinds[1].Span, $"a step does one thing: '{kinds[0].Value}' and '{kinds[1].Value}' together");
        return kinds[0].Value switch
        {
            "hotplug-memory" => ReadHotplug(Map(node, "hotplug-memory step", "hotplug-memory", "repeat")),
            "run" => ReadRun(Map(node, "run step", _runKeys)),
            _ => ReadOp(Map(node, "op step", _opKeys)),
        };
    }

    private HotplugMemoryStep ReadHotplug(MapReader step)
    {
        var m = Map(step.Required("hotplug-memory"), "hotplug-memory", "start", "end");
        var range = Range(m, platform.PhysicalAddressBits);
        // Linux hot-adds whole sections at least: mm/memory_hotplug.c check_hotplug_memory_range (Toshi Kani's
        // 2013 patch: section-aligned or -EINVAL; later kernels: memory-block-aligned) and, before it, arch code
        // that adds whole sections. The model asks only for whole 4 KiB pages; less than that is bad input.
        if (range.Start.Value % PhysAddr.PageSize != 0 || (range.End.Value + 1) % PhysAddr.PageSize != 0)
            throw Error(m.Span, $"hot-plugged range {range} must start and end on 4 KiB page boundaries (start 0x…000, end 0x…fff)");
        foreach (var region in platform.Memory)
        {
            if (region.Range.Overlaps(range))
                throw Error(m.Span, $"hot-plugged range {range} overlaps e820 entry {region.Range} (line {region.Span.Line})");
        }
        foreach (var (earlier, line) in _hotplugged)
        {
            if (earlier.Overlaps(range))
                throw Error(m.Span, $"hot-plugged range {range} overlaps {earlier}, hot-plugged at line {line}");
        }
        // DESIGN.md lets any step carry repeat; hot-plugging one range twice would overlap itself.
        var (repeat, repeated) = ReadRepeat(step);
        if (repeat > 1) throw Error(step.Get("repeat")!.Span, $"repeat {repeat} would hot-plug {range} {repeat} times; a range appears once");
        _hotplugged.Add((range, step.Span.Line));
        return new HotplugMemoryStep(range, repeated, step.Span);
    }

    private RunStep ReadRun(MapReader m)
    {
        var deviceNode = m.Required("device");
        var device = devices.ResolveEndpoint(deviceNode, "device");
        var runNode = m.Required("run");
        var job = Word(runNode, "run", Vocabulary.RunJobs);
        if (job == RunJob.Io && device.Model is not (DeviceKind.StorageController or DeviceKind.UsbController))
            throw Error(runNode.Span, $"'{device.Name}' is a {ContractWords.DeviceModels.NameOf(device.Model)}, which has no built-in io job; script it with op: steps");
        if (job == RunJob.FirmwareDma && device.FirmwareDma != FirmwareDmaKind.Rmrr)
            throw Error(runNode.Span, $"run: firmware-dma needs a device with firmware-dma: rmrr; '{device.Name}' has none");
        var count = m.Get("count") is { } c ? Positive(c, "count", ScenarioLimits.MaxRunCount, "each transfer is a map, a DMA and an unmap", isBytes: false) : 1UL;
        var size = m.Get("size") is { } s ? Positive(s, "size", ScenarioLimits.MaxRunTransferBytes, "one transfer's bytes are moved for real") : (ulong?)null;
        var (repeat, repeated) = ReadRepeat(m);
        return new RunStep(device.Name, job, count, size, repeat, repeated, m.Span);
    }

    private OpStep ReadOp(MapReader m)
    {
        var opNode = m.Required("op");
        var op = Word(opNode, "op", Vocabulary.Ops);
        CheckKeys(m, op);
        // alloc-buffer is a kernel allocation, not a device's; every other op acts for a device.
        string? device = null;
        if (m.Get("device") is { } dn) device = devices.ResolveEndpoint(dn, "device").Name;
        else if (op != ScriptOp.AllocBuffer) throw Error(m.Span, $"op {Vocabulary.Ops.NameOf(op)} needs 'device'");
        var (repeat, repeated) = ReadRepeat(m);
        var step = new StepContext(m, op, device, repeat, repeated);
        return op switch
        {
            ScriptOp.AllocCoherent => new AllocCoherentStep(step.Endpoint, BufferSize(m.Required("size")), NewName(step), repeat, repeated, m.Span),
            ScriptOp.FreeCoherent => new FreeCoherentStep(step.Endpoint, Target(step), repeat, repeated, m.Span),
            ScriptOp.AllocBuffer => ReadAllocBuffer(step),
            ScriptOp.Map => ReadMap(step),
            ScriptOp.Unmap => ReadUnmap(step),
            ScriptOp.SyncForCpu or ScriptOp.SyncForDevice => new SyncStep(op, step.Endpoint, Target(step), OptionalDirection(m), DmaOffset(m), Bytes(m), repeat, repeated, m.Span),
            ScriptOp.DmaRead or ScriptOp.DmaWrite or ScriptOp.CpuRead or ScriptOp.CpuWrite => new AccessStep(op, device, Target(step), op is ScriptOp.DmaRead or ScriptOp.DmaWrite ? DmaOffset(m) : Offset(m), Bytes(m), repeat, repeated, m.Span),
            ScriptOp.SetMask => ReadSetMask(step),
            ScriptOp.Unbind => new UnbindStep(step.Endpoint, repeat, repeated, m.Span),
            ScriptOp.MapSg => new MapSgStep(step.Endpoint, Segments(m.Required("segments")), Word(m.Required("direction"), "direction", Vocabulary.Directions), NewName(step), repeat, repeated, m.Span),
            _ => new UnmapSgStep(step.Endpoint, Target(step), repeat, repeated, m.Span),
        };
    }

    /// <summary>What every op reader needs: the step's keys and the facts read before the op-specific ones.</summary>
    private sealed record StepContext(MapReader Map, ScriptOp Op, string? Device, int Repeat, bool Repeated)
    {
        /// <summary>The device of an op that must have one (ReadOp refused the step otherwise).</summary>
        public string Endpoint => Device ?? throw new InvalidOperationException($"op {Vocabulary.Ops.NameOf(Op)} without a device got past ReadOp");
    }

    private static void CheckKeys(MapReader m, ScriptOp op)
    {
        var opName = Vocabulary.Ops.NameOf(op);
        var (required, optional) = _opFields[op];
        foreach (var key in m.Keys)
        {
            if (key is "device" or "op" or "repeat" || required.Contains(key) || optional.Contains(key)) continue;
            throw Error(m.KeyNode(key)!.Span, $"key '{key}' does not apply to op {opName}");
        }
        foreach (var key in required)
        {
            if (!m.Has(key)) throw Error(m.Span, $"op {opName} needs '{key}'");
        }
    }

    private AllocBufferStep ReadAllocBuffer(StepContext c)
    {
        var bits = platform.PhysicalAddressBits;
        var size = BufferSize(c.Map.Required("size"));
        var atNode = c.Map.Get("at");
        var at = atNode is null ? (PhysAddr?)null : Address(atNode, "at", bits);
        if (at is { } start && size - 1 > DmaMask.Bits(bits) - start.Value)
            throw Error(atNode!.Span, $"buffer at {start} of {Sizes.Format(size)} runs past the {bits}-bit physical address space");
        return new AllocBufferStep(c.Device, size, NewName(c), at, c.Repeat, c.Repeated, c.Map.Span);
    }

    private MapStep ReadMap(StepContext c)
    {
        var m = c.Map;
        var size = m.Get("size") is { } s ? BufferSize(s) : (ulong?)null;
        BufferRef? buffer = null;
        if (m.Get("buffer") is { } bn) buffer = Reference(bn, "buffer", c.Op, c.Repeat, c.Repeated, BufferKind.KernelBuffer);
        else if (size is null) throw Error(m.Span, "op map needs 'size' (a fresh kernel buffer) or 'buffer' (one made by alloc-buffer)");
        if (buffer is null && m.KeyNode("offset") is { } ok) throw Error(ok.Span, "'offset' applies to map only together with 'buffer'");
        var direction = Word(m.Required("direction"), "direction", Vocabulary.Directions);
        var function = m.Get("as-function") is { } f ? Word(f, "as-function", Vocabulary.MapFunctions) : MapFunction.MapSingle;
        var checkError = m.Get("check-error") is not { } ce || Flag(ce, "check-error");
        return new MapStep(c.Endpoint, direction, NewName(c), size, buffer, Offset(m), function, checkError, c.Repeat, c.Repeated, m.Span);
    }

    private UnmapStep ReadUnmap(StepContext c)
    {
        var m = c.Map;
        var size = m.Get("size") is { } s ? BufferSize(s) : (ulong?)null;
        var function = m.Get("as-function") is { } f ? Word(f, "as-function", Vocabulary.UnmapFunctions) : (MapFunction?)null;
        return new UnmapStep(c.Endpoint, Target(c), size, OptionalDirection(m), function, c.Repeat, c.Repeated, m.Span);
    }

    private static SetMaskStep ReadSetMask(StepContext c)
    {
        var m = c.Map;
        var dmaMask = m.Get("dma-mask-bits") is { } dm ? Bits(dm, "dma-mask-bits") : (int?)null;
        var coherentMask = m.Get("coherent-dma-mask-bits") is { } cm ? Bits(cm, "coherent-dma-mask-bits") : (int?)null;
        if (dmaMask is null && coherentMask is null)
            throw Error(m.Span, "op set-mask needs 'dma-mask-bits' or 'coherent-dma-mask-bits'");
        return new SetMaskStep(c.Endpoint, dmaMask, coherentMask, c.Repeat, c.Repeated, m.Span);
    }

    /// <summary>`segments: [SIZE, ...]`: at least one, each ≥ 1 byte (a scatterlist of kernel buffers).</summary>
    private static ImmutableArray<ulong> Segments(YNode node)
    {
        var items = List(node, "segments");
        if (items.Count == 0) throw Error(node.Span, "segments needs at least one size");
        return [.. items.Select(i => Positive(i, "segment size", ScenarioLimits.MaxAccessBytes, "a segment's bytes are moved for real"))];
    }

    private static StepDirection? OptionalDirection(MapReader m) =>
        m.Get("direction") is { } d ? Word(d, "direction", Vocabulary.Directions) : null;

    /// <summary>A buffer or mapping size: it fits in the physical address space.</summary>
    private ulong BufferSize(YNode node)
    {
        var bits = platform.PhysicalAddressBits;
        return Positive(node, "size", DmaMask.Bits(bits), $"a buffer fits in the {bits}-bit physical address space");
    }

    /// <summary>An offset may run past its buffer (that is how corruption is scripted), not past the address space.</summary>
    private ulong Offset(MapReader m)
    {
        if (m.Get("offset") is not { } node) return 0;
        var bits = platform.PhysicalAddressBits;
        var value = Number(node, "offset");
        return value <= DmaMask.Bits(bits) ? value : throw Error(node.Span, $"offset {Hex.Format(value)} is beyond the {bits}-bit physical address space");
    }

    /// <summary>
    /// An offset from a DMA handle: any 64-bit distance, since a device can be handed a stale or wild
    /// address; the run refuses one whose sum leaves the 64-bit DMA address space.
    /// </summary>
    private static ulong DmaOffset(MapReader m) => m.Get("offset") is { } node ? Number(node, "offset") : 0;

    private static ulong? Bytes(MapReader m) =>
        m.Get("bytes") is { } b ? Positive(b, "bytes", ScenarioLimits.MaxAccessBytes, "one access's bytes are moved for real; split it into several ops") : null;

    private BufferRef Target(StepContext c) =>
        Reference(c.Map.Required("target"), "target", c.Op, c.Repeat, c.Repeated, TargetKinds(c.Op));

    /// <summary>The `as:` name a step creates: new, and remembered so later steps can refer to it.</summary>
    private string NewName(StepContext c)
    {
        var asNode = c.Map.Required("as");
        var name = Name(asNode, "buffer name");
        if (_buffers.TryGetValue(name, out var earlier))
            throw Error(asNode.Span, $"buffer name '{name}' is already used at line {earlier.Line}");
        _buffers.Add(name, new BufferInfo(CreatedKind(c.Op), c.Op, c.Repeated ? c.Repeat : null, c.Map.Span.Line));
        return name;
    }

    private static (int Repeat, bool Repeated) ReadRepeat(MapReader m) =>
        m.Get("repeat") is { } r ? (Int(r, "repeat", 1, MaxRepeat), true) : (1, false);

    private static BufferKind CreatedKind(ScriptOp op) => op switch
    {
        ScriptOp.AllocCoherent => BufferKind.Coherent,
        ScriptOp.Map => BufferKind.Mapping,
        ScriptOp.MapSg => BufferKind.SgList,
        _ => BufferKind.KernelBuffer,
    };

    /// <summary>What a `target:` may name: the DMA-API pairs its calls (free what was allocated, unmap what was mapped).</summary>
    private static BufferKind[] TargetKinds(ScriptOp op) => op switch
    {
        ScriptOp.FreeCoherent => [BufferKind.Coherent],
        ScriptOp.Unmap => [BufferKind.Mapping],
        ScriptOp.UnmapSg => [BufferKind.SgList],
        ScriptOp.SyncForCpu or ScriptOp.SyncForDevice => [BufferKind.Mapping, BufferKind.SgList],
        ScriptOp.DmaRead or ScriptOp.DmaWrite => [BufferKind.Coherent, BufferKind.Mapping, BufferKind.SgList],
        _ => [BufferKind.Coherent, BufferKind.Mapping, BufferKind.KernelBuffer, BufferKind.SgList],
    };

    /// <summary>
    /// Resolves `name` or `name#i`. A bare group name (made with repeat: M) is accepted from a step that
    /// repeats N ≤ M times, iteration i then meaning `name#i`.
    /// </summary>
    private BufferRef Reference(YNode node, string what, ScriptOp op, int repeat, bool repeated, params BufferKind[] kinds)
    {
        var text = Text(node, what);
        BufferRef reference;
        BufferInfo? info;
        var hash = text.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            var group = text[..hash];
            if (!_buffers.TryGetValue(group, out info) || info.GroupSize is null)
                throw Error(node.Span, $"{what} '{text}' names no buffer created by an earlier step ('{group}' was not made with repeat)");
            if (!int.TryParse(text.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= info.GroupSize)
                throw Error(node.Span, $"{what} '{text}' is outside {group}#0..{group}#{info.GroupSize - 1}");
            reference = new BufferRef(text, false);
        }
        else
        {
            if (!_buffers.TryGetValue(text, out info))
            {
                var hint = Suggest(text, _buffers.Keys);
                throw Error(node.Span, hint is null
                    ? $"{what} '{text}' names no buffer created by an earlier step"
                    : $"{what} '{text}' names no buffer created by an earlier step (did you mean '{hint}'?)");
            }
            if (info.GroupSize is { } size)
            {
                if (!repeated)
                    throw Error(node.Span, $"'{text}' is a group of {size} buffers ({text}#0..{text}#{size - 1}); name one, or give this step repeat");
                if (repeat > size)
                    throw Error(node.Span, $"repeat {repeat} runs past the {size} buffers of '{text}' ({text}#0..{text}#{size - 1})");
            }
            reference = new BufferRef(text, info.GroupSize is not null);
        }

        if (!kinds.Contains(info.Kind))
            throw Error(node.Span, $"op {Vocabulary.Ops.NameOf(op)} cannot use '{text}': it was made by {Vocabulary.Ops.NameOf(info.CreatedBy)} at line {info.Line}");
        return reference;
    }
}
