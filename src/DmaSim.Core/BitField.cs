namespace DmaSim.Core;

/// <summary>
/// A field of a register or table entry, described by its low bit and width (as the spec tables give
/// them); masks are derived from the offsets so a layout is written down once.
/// </summary>
public readonly record struct BitField(int Low, int Width)
{
    public ulong Mask => (Width == 64 ? ulong.MaxValue : (1UL << Width) - 1) << Low;
    public ulong Get(ulong word) => (word & Mask) >> Low;
    public ulong Set(ulong word, ulong value) => (word & ~Mask) | ((value << Low) & Mask);
    public bool IsSet(ulong word) => (word & Mask) != 0;
    public static BitField Bit(int bit) => new(bit, 1);
}
