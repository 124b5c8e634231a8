using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// What a whole page holds when it was last written whole by one rule instead of byte by byte: one byte
/// value throughout (a buffer poisoned or cleared), or a run of a payload sequence (a driver's data, or
/// what a device moved of it). The page's bytes are that rule's bytes exactly; they are computed when
/// something reads them one by one, and a copy or a comparison of the same rule costs no byte traffic.
/// A page holding a rule uses no host memory; its first partial write turns it into ordinary bytes.
/// </summary>
internal readonly record struct PageRule
{
    private PageRule(bool isPayload, ulong key, ulong firstByte, byte value)
    {
        IsPayload = isPayload;
        Key = key;
        FirstByte = firstByte;
        Value = value;
    }

    /// <summary>Bytes [<paramref name="firstByte"/>, firstByte + 4 KiB) of the payload keyed by <paramref name="key"/>.</summary>
    public static PageRule Payload(ulong key, ulong firstByte) => new(true, key, firstByte, 0);

    /// <summary>Every byte <paramref name="value"/>.</summary>
    public static PageRule Fill(byte value) => new(false, 0, 0, value);

    public bool IsPayload { get; }
    public ulong Key { get; }
    public ulong FirstByte { get; }
    public byte Value { get; }

    /// <summary>The page's bytes [offset, offset + destination.Length).</summary>
    public void Render(int offset, Span<byte> destination)
    {
        if (IsPayload) PayloadBytes.Fill(Key, FirstByte + (ulong)offset, destination);
        else destination.Fill(Value);
    }

    /// <summary>Whether the page's bytes [offset, offset + length) are bytes [firstByte, …) of <paramref name="key"/>'s payload by construction.</summary>
    public bool IsPayloadRun(ulong key, ulong firstByte, int offset) => IsPayload && Key == key && FirstByte + (ulong)offset == firstByte;
}
