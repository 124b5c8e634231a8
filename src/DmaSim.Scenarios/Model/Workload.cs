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
/// A scripted step `{ device, op, ... }`. Which fields an op takes (the loader enforces it):
/// alloc-coherent size, as · free-coherent target · map direction, as, size and/or buffer (+offset) ·
/// unmap target [direction] · sync-for-cpu/sync-for-device target [direction, offset, bytes] ·
/// dma-read/dma-write/cpu-read/cpu-write target [offset, bytes] · set-mask dma-mask-bits and/or
/// coherent-dma-mask-bits · alloc-buffer size, as [at] (device optional). Unset fields are null.
/// </summary>
public sealed record OpStep(
    string? Device,
    ScriptOp Op,
    ulong? Size,
    string? As,
    BufferRef? Target,
    BufferRef? Buffer,
    StepDirection? Direction,
    ulong? Offset,
    ulong? Bytes,
    PhysAddr? At,
    int? DmaMaskBits,
    int? CoherentDmaMaskBits,
    int Repeat,
    bool Repeated,
    SourceSpan Span) : WorkloadStep(Repeat, Repeated, Span)
{
    /// <summary>The name iteration <paramref name="iteration"/> creates, or null if the op names nothing.</summary>
    public string? NameFor(int iteration) =>
        As is null ? null : Repeated ? As + "#" + iteration.ToString(CultureInfo.InvariantCulture) : As;
}
