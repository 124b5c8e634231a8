using System.Buffers.Binary;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// The unit's MMIO bytes with per-byte write, write-1-to-clear and write-only masks, the way QEMU keeps
/// them (<c>IntelIOMMUState.csr/wmask/w1cmask/womask</c>; <c>vtd_define_*</c>, <c>vtd_set_quad/long</c>,
/// <c>vtd_get_quad/long</c>). A write keeps the non-writable bits, takes the writable bits from the new
/// value, then clears the W1C bits written as 1; a read masks off the write-only bits.
/// </summary>
internal sealed class VtdRegisterFile
{
    private readonly byte[] _csr;
    private readonly byte[] _wmask;
    private readonly byte[] _w1cmask;
    private readonly byte[] _womask;

    public VtdRegisterFile(int size)
    {
        _csr = new byte[size];
        _wmask = new byte[size];
        _w1cmask = new byte[size];
        _womask = new byte[size];
    }

    public int Size => _csr.Length;

    public void Clear()
    {
        Array.Clear(_csr);
        Array.Clear(_wmask);
        Array.Clear(_w1cmask);
        Array.Clear(_womask);
    }

    public void DefineQuad(int offset, ulong value, ulong wmask, ulong w1cmask)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_csr.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt64LittleEndian(_wmask.AsSpan(offset), wmask);
        BinaryPrimitives.WriteUInt64LittleEndian(_w1cmask.AsSpan(offset), w1cmask);
    }

    public void DefineLong(int offset, uint value, uint wmask, uint w1cmask)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_csr.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt32LittleEndian(_wmask.AsSpan(offset), wmask);
        BinaryPrimitives.WriteUInt32LittleEndian(_w1cmask.AsSpan(offset), w1cmask);
    }

    public void DefineQuadWriteOnly(int offset, ulong mask) => BinaryPrimitives.WriteUInt64LittleEndian(_womask.AsSpan(offset), mask);
    public void DefineLongWriteOnly(int offset, uint mask) => BinaryPrimitives.WriteUInt32LittleEndian(_womask.AsSpan(offset), mask);

    public ulong GetQuadRaw(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(_csr.AsSpan(offset));
    public uint GetLongRaw(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_csr.AsSpan(offset));
    public void SetQuadRaw(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(_csr.AsSpan(offset), value);
    public void SetLongRaw(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_csr.AsSpan(offset), value);

    /// <summary>QEMU <c>vtd_set_clear_mask_long</c>: clear then set bits.</summary>
    public uint SetClearLong(int offset, uint clear, uint set)
    {
        var v = (GetLongRaw(offset) & ~clear) | set;
        SetLongRaw(offset, v);
        return v;
    }

    public ulong SetClearQuad(int offset, ulong clear, ulong set)
    {
        var v = (GetQuadRaw(offset) & ~clear) | set;
        SetQuadRaw(offset, v);
        return v;
    }

    /// <summary>Software read: write-only bits read as zero.</summary>
    public ulong Read(int offset, int size) => size == 8
        ? GetQuadRaw(offset) & ~BinaryPrimitives.ReadUInt64LittleEndian(_womask.AsSpan(offset))
        : GetLongRaw(offset) & ~BinaryPrimitives.ReadUInt32LittleEndian(_womask.AsSpan(offset));

    /// <summary>Software write with the masks applied.</summary>
    public void Write(int offset, ulong value, int size)
    {
        if (size == 8)
        {
            var old = GetQuadRaw(offset);
            var wm = BinaryPrimitives.ReadUInt64LittleEndian(_wmask.AsSpan(offset));
            var w1c = BinaryPrimitives.ReadUInt64LittleEndian(_w1cmask.AsSpan(offset));
            SetQuadRaw(offset, ((old & ~wm) | (value & wm)) & ~(w1c & value));
        }
        else
        {
            var v = (uint)value;
            var old = GetLongRaw(offset);
            var wm = BinaryPrimitives.ReadUInt32LittleEndian(_wmask.AsSpan(offset));
            var w1c = BinaryPrimitives.ReadUInt32LittleEndian(_w1cmask.AsSpan(offset));
            SetLongRaw(offset, ((old & ~wm) | (v & wm)) & ~(w1c & v));
        }
    }

    /// <summary>A copy of every byte (tests compare snapshots across a reset, vtd-hardware.md §9.1).</summary>
    public byte[] Snapshot() => (byte[])_csr.Clone();
}
