using System.Globalization;

namespace DmaSim.Core;

/// <summary>A CPU physical address. Distinct from <see cref="DmaAddr"/> so the two never mix silently.</summary>
public readonly record struct PhysAddr(ulong Value) : IComparable<PhysAddr>
{
    public const int PageShift = 12;
    public const ulong PageSize = 1UL << PageShift;

    public ulong Pfn => Value >> PageShift;
    public ulong PageOffset => Value & (PageSize - 1);
    public static PhysAddr FromPfn(ulong pfn) => new(pfn << PageShift);
    public PhysAddr Add(ulong bytes) => new(Value + bytes);
    public int CompareTo(PhysAddr other) => Value.CompareTo(other.Value);
    public static bool operator <(PhysAddr a, PhysAddr b) => a.Value < b.Value;
    public static bool operator >(PhysAddr a, PhysAddr b) => a.Value > b.Value;
    public static bool operator <=(PhysAddr a, PhysAddr b) => a.Value <= b.Value;
    public static bool operator >=(PhysAddr a, PhysAddr b) => a.Value >= b.Value;
    public override string ToString() => Hex.Format(Value);
}

/// <summary>A bus address as a device drives it: physical (direct, pass-through) or an IOVA (translated).</summary>
public readonly record struct DmaAddr(ulong Value) : IComparable<DmaAddr>
{
    public ulong Pfn => Value >> PhysAddr.PageShift;
    public DmaAddr Add(ulong bytes) => new(Value + bytes);
    public int CompareTo(DmaAddr other) => Value.CompareTo(other.Value);
    public static bool operator <(DmaAddr a, DmaAddr b) => a.Value < b.Value;
    public static bool operator >(DmaAddr a, DmaAddr b) => a.Value > b.Value;
    public static bool operator <=(DmaAddr a, DmaAddr b) => a.Value <= b.Value;
    public static bool operator >=(DmaAddr a, DmaAddr b) => a.Value >= b.Value;

    /// <summary>The same number seen as a physical address: only valid where the bus is untranslated.</summary>
    public PhysAddr AsIdentity() => new(Value);
    public static DmaAddr Identity(PhysAddr p) => new(p.Value);
    public override string ToString() => Hex.Format(Value);
}

/// <summary>A physical page frame number (phys &gt;&gt; 12), where an IOVA frame is mapped onto memory.</summary>
public readonly record struct PhysPfn(ulong Value)
{
    public PhysAddr Address => PhysAddr.FromPfn(Value);
    public override string ToString() => "pfn 0x" + Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An IOVA page frame number: a page of a domain's DMA address space (iova &gt;&gt; 12).</summary>
public readonly record struct IovaPfn(ulong Value)
{
    public override string ToString() => "iova pfn 0x" + Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An inclusive range of physical addresses, printed the way the kernel prints e820 and RMRR ranges.</summary>
public readonly record struct PhysRange(PhysAddr Start, PhysAddr End)
{
    public PhysRange(ulong start, ulong end) : this(new PhysAddr(start), new PhysAddr(end)) { }

    public static PhysRange FromSize(PhysAddr start, ulong size) => new(start, new PhysAddr(start.Value + size - 1));

    /// <summary>Size in bytes; a range covering the whole 64-bit space saturates.</summary>
    public ulong Size => End.Value - Start.Value == ulong.MaxValue ? ulong.MaxValue : End.Value - Start.Value + 1;
    public bool Contains(PhysAddr a) => a >= Start && a <= End;
    public bool Contains(PhysRange r) => r.Start >= Start && r.End <= End;
    public bool Overlaps(PhysRange r) => Start <= r.End && r.Start <= End;
    public override string ToString() => $"[{Hex.Format(Start.Value)}-{Hex.Format(End.Value)}]";
}

/// <summary>Helpers for DMA masks in the kernel's DMA_BIT_MASK(n) form.</summary>
public static class DmaMask
{
    /// <summary>DMA_BIT_MASK(n): 2^n − 1, all ones for n = 64.</summary>
    public static ulong Bits(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 64);
        return n == 64 ? ulong.MaxValue : (1UL << n) - 1;
    }

    /// <summary>The number of address bits a mask admits (fls64 of the mask).</summary>
    public static int Width(ulong mask) => 64 - System.Numerics.BitOperations.LeadingZeroCount(mask);

    /// <summary>Modern dma_capable / dma_coherent_ok: the last byte must be at or below the mask.</summary>
    public static bool Admits(ulong mask, ulong address, ulong length) =>
        length != 0 && address + (length - 1) >= address && address + (length - 1) <= mask;
}

/// <summary>Hex formatting the way the kernel prints addresses (0x-prefixed, lower case).</summary>
public static class Hex
{
    public static string Format(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
    public static string Format(ulong v, int digits) => "0x" + v.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
