using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;

namespace DmaSim.Hardware.Platform;

/// <summary>Which of a device's address paths issued a DMA: its data movers or its control-structure fetcher.</summary>
public enum DmaLines
{
    /// <summary>Data buffers (scenario `address-bits`).</summary>
    Data,
    /// <summary>Descriptors, rings, completions (scenario `descriptor-address-bits`).</summary>
    Descriptor,
}

/// <summary>The answer of a remapping unit for one page of a DMA.</summary>
public readonly record struct RemapResult(bool Ok, PhysAddr Address, byte FaultReason, string? FaultText)
{
    public static RemapResult Untranslated(ulong address) => new(true, new PhysAddr(address), 0, null);
    public static RemapResult Fault(byte reason, string text) => new(false, default, reason, text);
}

/// <summary>What the platform wires a device's DMA through (a VT-d unit, or nothing).</summary>
public interface IDmaRemapper
{
    /// <summary>Name for reports (e.g. "dmar0").</summary>
    string Name { get; }

    /// <summary>Translate one address (the whole access stays inside the 4 KiB page of <paramref name="address"/>).</summary>
    RemapResult Remap(ushort sourceId, ulong address, bool isWrite);
}

/// <summary>
/// What a DMA was meant to do, attached by whoever issued it (a device model or firmware) so the
/// physical-truth checker can compare where the bytes really went with where the driver put the buffer.
/// </summary>
public sealed record DmaIntent(string Label, PhysAddr ExpectedPhys, bool IsControl, bool IsFirmware = false)
{
    /// <summary>How many bytes from <see cref="ExpectedPhys"/> on the buffer really has; bytes past it are outside it.</summary>
    public ulong? Extent { get; init; }

    /// <summary>The owner the buffer's memory had when it was made; a page with another owner now is not the buffer's.</summary>
    public FrameOwner? Owner { get; init; }

    /// <summary>The driver had already unmapped or freed the buffer when the device used it.</summary>
    public bool Released { get; init; }
}

/// <summary>
/// A run of a DMA as the silicon performed it: the page-sized pieces (each translated on its own; TLPs never cross
/// 4 KiB) that followed one another on the bus and in physical memory and reached the same owner, kept as one entry.
/// A checker that reports a piece asks for it with <see cref="PieceAt"/>: the run says nothing a list of its pieces
/// would not.
/// </summary>
public readonly record struct DmaSegment(ulong Issued, ulong Driven, PhysAddr Physical, int Length, FrameOwner Owner)
{
    /// <summary>
    /// The page-sized piece of this run that holds byte <paramref name="byteInRun"/>, as the fabric performed it: its
    /// own addresses and length. Pieces end where the driven address crosses a 4 KiB boundary.
    /// </summary>
    public DmaSegment PieceAt(ulong byteInRun)
    {
        const ulong pageMask = PhysAddr.PageSize - 1;
        var at = Driven + byteInRun;
        var start = (at & ~pageMask) > Driven ? (at & ~pageMask) - Driven : 0;
        var end = Math.Min((ulong)Length, (at | pageMask) + 1 - Driven);
        return new DmaSegment(Issued + start, Driven + start, Physical.Add(start), (int)(end - start), Owner);
    }

    /// <summary>Whether the next piece (driven at <paramref name="driven"/>, landing at <paramref name="physical"/>) carries this run on.</summary>
    internal bool ContinuesWith(ulong driven, PhysAddr physical, FrameOwner owner) =>
        driven == Driven + (ulong)Length && physical.Value == Physical.Value + (ulong)Length && ReferenceEquals(owner, Owner);
}

/// <summary>A device DMA, kernel address against physical truth. Emitted for every transaction.</summary>
public sealed record DmaTransactionEvent(
    string Device,
    Bdf Bdf,
    Bdf RequesterId,
    DmaLines Lines,
    int LineBits,
    bool IsWrite,
    DmaAddr Address,
    int Length,
    IReadOnlyList<DmaSegment> Segments,
    bool Faulted,
    byte FaultReason,
    string? FaultText,
    string? Remapper,
    DmaIntent? Intent) : SimEvent
{
    /// <summary>The address the device drove on the bus for the first byte (after dropping lines it lacks).</summary>
    public ulong DrivenAddress => Segments.Count > 0 ? Segments[0].Driven : Address.Value & DmaMask.Bits(LineBits);
    public bool Truncated => DrivenAddress != Address.Value;
}
