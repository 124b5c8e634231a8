using System.Collections.Immutable;
using System.Globalization;
using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>
/// One `workload:` step, run in file order. <see cref="Repeat"/> is how many times it runs; when the
/// scenario wrote `repeat:` (<see cref="Repeated"/>) the names the step creates get `#0`…`#N-1`.
/// </summary>
public abstract record WorkloadStep(int Repeat, bool Repeated, SourceSpan Span);

/// <summary>
/// `{ device, run: io|firmware-dma, count, size }`: a device model's built-in job, <see cref="Count"/>
/// transfers of <see cref="Size"/> bytes each (null: the model's own default).
/// </summary>
public sealed record RunStep(string Device, RunJob Run, ulong Count, ulong? Size, int Repeat, bool Repeated, SourceSpan Span)
    : WorkloadStep(Repeat, Repeated, Span);

/// <summary>`{ hotplug-memory: { start, end } }`: usable RAM appears at run time (`repeat:` may only be 1).</summary>
public sealed record HotplugMemoryStep(PhysRange Range, bool Repeated, SourceSpan Span) : WorkloadStep(1, Repeated, Span);

/// <summary>
/// A reference to a named buffer. <see cref="PerIteration"/> is set when the name is a group made by a
/// repeated step and the referring step repeats too: iteration i then uses `name#i`.
/// </summary>
public readonly record struct BufferRef(string Name, bool PerIteration)
{
    public string Resolve(int iteration) =>
        PerIteration ? Name + "#" + iteration.ToString(CultureInfo.InvariantCulture) : Name;

    public override string ToString() => Name;
}

/// <summary>
/// A scripted step `{ device, op, ... }`: one record per op, each holding exactly the fields its op takes
/// (the loader enforces which keys apply). Each op that acts for a device has a non-null `Device`.
/// </summary>
public abstract record OpStep(ScriptOp Op, int Repeat, bool Repeated, SourceSpan Span)
    : WorkloadStep(Repeat, Repeated, Span)
{
    /// <summary>The name of a step that creates a buffer (`as:`), or null.</summary>
    public virtual string? As => null;

    /// <summary>The name iteration <paramref name="iteration"/> creates, or null if the op names nothing.</summary>
    public string? NameFor(int iteration) =>
        As is null ? null : Repeated ? As + "#" + iteration.ToString(CultureInfo.InvariantCulture) : As;
}

/// <summary>`alloc-coherent { size, as }`: dma_alloc_coherent.</summary>
public sealed record AllocCoherentStep(string Device, ulong Size, string Name, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.AllocCoherent, Repeat, Repeated, Span)
{
    public override string? As => Name;
}

/// <summary>`free-coherent { target }`: dma_free_coherent (twice is a legal step: the misuse is the point).</summary>
public sealed record FreeCoherentStep(string Device, BufferRef Target, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.FreeCoherent, Repeat, Repeated, Span);

/// <summary>`alloc-buffer { size, as, at? }`: a kernel buffer, at a chosen physical address when <see cref="At"/> is set.</summary>
public sealed record AllocBufferStep(string? Device, ulong Size, string Name, PhysAddr? At, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.AllocBuffer, Repeat, Repeated, Span)
{
    public override string? As => Name;
}

/// <summary>Which DMA-API entry a `map` calls (`as-function:`).</summary>
public enum MapFunction
{
    MapSingle,
    MapPage,
}

/// <summary>
/// `map { direction, as, size | buffer (+offset), as-function, check-error }`: dma_map_single/page of a
/// fresh kernel buffer (<see cref="Buffer"/> null) or of an `alloc-buffer` buffer. <see cref="CheckError"/>
/// false: the driver never calls dma_mapping_error on the handle.
/// </summary>
public sealed record MapStep(
    string Device, StepDirection Direction, string Name, ulong? Size, BufferRef? Buffer, ulong Offset,
    MapFunction Function, bool CheckError, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.Map, Repeat, Repeated, Span)
{
    public override string? As => Name;
}

/// <summary>
/// `unmap { target, size?, direction?, as-function? }`: dma_unmap_single/page; unset fields repeat what
/// the map used, set ones are what the driver wrongly passes.
/// </summary>
public sealed record UnmapStep(
    string Device, BufferRef Target, ulong? Size, StepDirection? Direction, MapFunction? Function,
    int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.Unmap, Repeat, Repeated, Span);

/// <summary>`sync-for-cpu` / `sync-for-device { target, direction?, offset?, bytes? }`.</summary>
public sealed record SyncStep(
    ScriptOp Which, string Device, BufferRef Target, StepDirection? Direction, ulong Offset, ulong? Bytes,
    int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(Which, Repeat, Repeated, Span)
{
    public bool ForCpu => Which == ScriptOp.SyncForCpu;
}

/// <summary>
/// `dma-read` / `dma-write` (the device) and `cpu-read` / `cpu-write` (the driver) `{ target, offset?,
/// bytes? }`. A device access is issued exactly as written, wherever it lands.
/// </summary>
public sealed record AccessStep(
    ScriptOp Which, string? Device, BufferRef Target, ulong Offset, ulong? Bytes, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(Which, Repeat, Repeated, Span)
{
    public bool IsWrite => Which is ScriptOp.DmaWrite or ScriptOp.CpuWrite;
    public bool ByDevice => Which is ScriptOp.DmaRead or ScriptOp.DmaWrite;
}

/// <summary>`set-mask { dma-mask-bits?, coherent-dma-mask-bits? }` (at least one).</summary>
public sealed record SetMaskStep(string Device, int? DmaMaskBits, int? CoherentDmaMaskBits, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.SetMask, Repeat, Repeated, Span);

/// <summary>`unbind { device }`: the driver is removed; its mappings stay as the kernel leaves them.</summary>
public sealed record UnbindStep(string Device, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.Unbind, Repeat, Repeated, Span);

/// <summary>`map-sg { segments: [SIZE, ...], direction, as }`: dma_map_sg of fresh kernel buffers, one per segment.</summary>
public sealed record MapSgStep(string Device, ImmutableArray<ulong> Segments, StepDirection Direction, string Name, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.MapSg, Repeat, Repeated, Span)
{
    public override string? As => Name;
}

/// <summary>`unmap-sg { target }`: dma_unmap_sg of a `map-sg` list.</summary>
public sealed record UnmapSgStep(string Device, BufferRef Target, int Repeat, bool Repeated, SourceSpan Span)
    : OpStep(ScriptOp.UnmapSg, Repeat, Repeated, Span);
