using DmaSim.Core;
using DmaSim.Hardware.Memory;

namespace DmaSim.Hardware.Platform;

/// <summary>What a transaction does with each translated page.</summary>
internal enum TransferKind
{
    /// <summary>Memory to the device's buffer (holes read as all ones).</summary>
    Read,
    /// <summary>The device's buffer to memory (writes to a hole are dropped).</summary>
    Write,
    /// <summary>A read the device compares, page by page where it lies, with the payload it expects.</summary>
    MatchPayload,
    /// <summary>A write of a payload run, each page stored as that run.</summary>
    WritePayload,
}

/// <summary>
/// Moves the bytes of one page of a DMA between memory and the device once the fabric has translated it.
/// The root complex's rules for holes (reads return all ones, writes are dropped) hold for every kind.
/// </summary>
internal ref struct PageMover
{
    private readonly PhysicalMemory _memory;
    private readonly TransferKind _kind;
    private readonly Span<byte> _destination;
    private readonly ReadOnlySpan<byte> _source;
    private readonly ulong _key;

    public PageMover(PhysicalMemory memory, TransferKind kind, Span<byte> destination = default, ReadOnlySpan<byte> source = default, ulong key = 0)
    {
        _memory = memory;
        _kind = kind;
        _destination = destination;
        _source = source;
        _key = key;
        Matches = true;
    }

    public readonly bool IsWrite => _kind is TransferKind.Write or TransferKind.WritePayload;

    /// <summary>For <see cref="TransferKind.MatchPayload"/>: every page so far held the expected payload.</summary>
    public bool Matches { get; private set; }

    /// <summary>The bytes [done, done + length) of the transfer, at <paramref name="phys"/>.</summary>
    public void Move(PhysAddr phys, int done, int length, bool hole)
    {
        switch (_kind)
        {
            case TransferKind.Read:
                if (hole) _destination.Slice(done, length).Fill(0xff);
                else _memory.Read(phys, _destination.Slice(done, length));
                break;
            case TransferKind.Write:
                if (!hole) _memory.Write(phys, _source.Slice(done, length));
                break;
            case TransferKind.WritePayload:
                if (!hole) _memory.WritePayload(phys, (ulong)length, _key, (ulong)done);
                break;
            case TransferKind.MatchPayload:
                if (Matches) Matches = hole ? HoleHoldsPayload(done, length) : _memory.HoldsPayload(phys, (ulong)length, _key, (ulong)done);
                break;
        }
    }

    // A hole reads as all ones: whether that is the payload's run here.
    private readonly bool HoleHoldsPayload(int done, int length)
    {
        Span<byte> ones = stackalloc byte[length];
        ones.Fill(0xff);
        return PayloadBytes.Matches(_key, (ulong)done, ones);
    }
}
