using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DmaSim.Hardware.Memory;

/// <summary>
/// Copies between host arrays in vector lanes, in managed code. A span copy of more than 2 KiB leaves managed code
/// for the C library's memmove through a P/Invoke transition (.NET 10 <c>SpanHelpers.Memmove</c>: 2,048 bytes is
/// <c>MemmoveNativeThreshold</c> on x64); on Linux that transition's thread lookup (<c>__tls_get_addr</c>) was 6.6 % of
/// the samples of a swiotlb map+unmap loop (perf, 2026-12-08). Overlapping ranges keep memmove's semantics.
/// </summary>
internal static class HostCopy
{
    public static void Copy(ReadOnlySpan<byte> source, Span<byte> target)
    {
        if (source.Length > target.Length) throw new ArgumentException("the target is shorter than the source", nameof(target));
        if (Vector512.IsHardwareAccelerated && source.Length >= Vector512<byte>.Count && !source.Overlaps(target))
            Copy512(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(target), (nuint)source.Length);
        else if (Vector256.IsHardwareAccelerated && source.Length >= Vector256<byte>.Count && !source.Overlaps(target))
            Copy256(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(target), (nuint)source.Length);
        else source.CopyTo(target);
    }

    // Whole vectors, then the last vector again ending at the last byte (the ranges do not overlap, so rewriting
    // bytes already copied writes the same values). Internal so that a test runs each lane width the CPU has.
    internal static void Copy512(ref byte source, ref byte target, nuint length)
    {
        nuint i = 0;
        for (; i + 4 * (nuint)Vector512<byte>.Count <= length; i += 4 * (nuint)Vector512<byte>.Count)
        {
            var a = Vector512.LoadUnsafe(ref source, i);
            var b = Vector512.LoadUnsafe(ref source, i + 64);
            var c = Vector512.LoadUnsafe(ref source, i + 128);
            var d = Vector512.LoadUnsafe(ref source, i + 192);
            a.StoreUnsafe(ref target, i);
            b.StoreUnsafe(ref target, i + 64);
            c.StoreUnsafe(ref target, i + 128);
            d.StoreUnsafe(ref target, i + 192);
        }
        for (; i + (nuint)Vector512<byte>.Count <= length; i += (nuint)Vector512<byte>.Count)
            Vector512.LoadUnsafe(ref source, i).StoreUnsafe(ref target, i);
        if (i < length)
            Vector512.LoadUnsafe(ref source, length - (nuint)Vector512<byte>.Count).StoreUnsafe(ref target, length - (nuint)Vector512<byte>.Count);
    }

    internal static void Copy256(ref byte source, ref byte target, nuint length)
    {
        nuint i = 0;
        for (; i + (nuint)Vector256<byte>.Count <= length; i += (nuint)Vector256<byte>.Count)
            Vector256.LoadUnsafe(ref source, i).StoreUnsafe(ref target, i);
        if (i < length)
            Vector256.LoadUnsafe(ref source, length - (nuint)Vector256<byte>.Count).StoreUnsafe(ref target, length - (nuint)Vector256<byte>.Count);
    }
}
