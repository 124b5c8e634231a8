using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Dma;
using DmaSim.Scenarios;

namespace DmaSim.Simulation;

/// <summary>
/// A buffer the script made: a kernel buffer, a coherent allocation, a mapping or a scatterlist. After
/// unmap or free it keeps its last handle: a driver that uses it again uses exactly that address.
/// </summary>
internal sealed class ScriptBuffer
{
    public required string Name { get; init; }
    public required string Device { get; init; }
    public required PhysAddr Cpu { get; init; }
    public required ulong Size { get; init; }
    public int Order { get; init; } = -1;

    /// <summary>The owner of the memory when the buffer was made: what a DMA through it is meant to reach.</summary>
    public FrameOwner? Owner { get; init; }

    /// <summary>The DMA handle the driver holds (also after release).</summary>
    public DmaAddr? Handle { get; init; }

    /// <summary>False once the driver unmapped or freed it.</summary>
    public bool Live { get; set; } = true;

    public DmaDirection Direction { get; init; }

    /// <summary>A dma_alloc_coherent buffer: the device reaches it with its descriptor address lines (rings, completions).</summary>
    public bool Coherent { get; init; }
    public MapFunction Function { get; init; }
    public ScriptBuffer? Backing { get; init; }
    public ulong BackingOffset { get; init; }

    /// <summary>The entries of a `map-sg` list, each with its own handle.</summary>
    public IReadOnlyList<ScriptBuffer> Segments { get; init; } = [];

    /// <summary>What the last writer (CPU or device) put there, for the other side to check.</summary>
    public byte[]? Expected { get; set; }
    public ulong ExpectedOffset { get; set; }

    public bool IsSg => Segments.Count > 0;

    /// <summary>The sg entries as the DMA API takes them back.</summary>
    public IReadOnlyList<(PhysAddr Phys, DmaAddr Dma, ulong Size)> SgEntries =>
        [.. Segments.Select(s => (s.Cpu, s.Handle ?? default, s.Size))];

    /// <summary>
    /// Where byte <paramref name="offset"/> of the buffer is: the entry holding it, and the offset inside
    /// that entry. An offset past the end stays in the last entry (the device runs over its end).
    /// </summary>
    public (ScriptBuffer Part, ulong Offset) Locate(ulong offset)
    {
        if (!IsSg) return (this, offset);
        foreach (var s in Segments)
        {
            if (offset < s.Size) return (s, offset);
            offset -= s.Size;
        }
        var last = Segments[^1];
        return (last, last.Size + offset);
    }

    /// <summary>The byte count of an access that names none: the rest of the buffer, at least one byte.</summary>
    public ulong RestFrom(ulong offset) => offset < Size ? Size - offset : 1;
}
