using DmaSim.Core;

namespace DmaSim.Hardware.Vtd.Spec;

/// <summary>Context-entry translation type (TT, bits 3:2; vtd-hardware.md §2.3).</summary>
public enum ContextTranslationType : byte
{
    /// <summary>Untranslated requests walk the second-level tables; device-TLB not allowed.</summary>
    MultiLevel = 0,
    /// <summary>As <see cref="MultiLevel"/>, plus translation requests from device-TLBs (needs ECAP.DT).</summary>
    MultiLevelDeviceTlb = 1,
    /// <summary>Hardware pass-through: output = input (needs ECAP.PT).</summary>
    PassThrough = 2,
    Reserved = 3,
}

/// <summary>
/// Legacy root entry, 16 bytes, indexed by bus (vtd-hardware.md §2.2). Low qword, high bit to low:
/// 63:12 CTP (context-table pointer) | 11:1 rsvd | 0 P. High qword: reserved (0) in legacy mode.
/// </summary>
public static class VtdRootEntry
{
    public const int Size = 16;
    public static readonly BitField Present = BitField.Bit(0);
    public static readonly BitField ContextTablePointer = new(12, 52);

    /// <summary>QEMU <c>VTD_ROOT_ENTRY_RSVD(aw)</c>: bits 11:1 and everything at or above the host width.</summary>
    public static ulong ReservedLow(int hostAddressWidth) => 0xFFEUL | ~VtdWidth.HawMask(hostAddressWidth);

    public static ulong Make(PhysAddr contextTable) => (contextTable.Value & ~0xFFFUL) | 1UL;
}

/// <summary>
/// Legacy context entry, 16 bytes, indexed by devfn (vtd-hardware.md §2.3).
/// Low qword, high bit to low: 63:12 SLPTPTR | 11:4 rsvd | 3:2 TT | 1 FPD | 0 P.
/// High qword, high bit to low: 63:24 rsvd | 23:8 DID | 7 rsvd | 6:3 AVAIL | 2:0 AW.
/// </summary>
public static class VtdContextEntry
{
    public const int Size = 16;
    public static readonly BitField Present = BitField.Bit(0);
    public static readonly BitField FaultProcessingDisable = BitField.Bit(1);
    public static readonly BitField TranslationType = new(2, 2);
    public static readonly BitField SecondLevelPointer = new(12, 52);
    public static readonly BitField AddressWidth = new(0, 3);
    public static readonly BitField Available = new(3, 4);
    public static readonly BitField DomainId = new(8, 16);

    /// <summary>QEMU <c>VTD_CONTEXT_ENTRY_RSVD_LO(aw)</c>: bits 11:4 and bits at or above the host width.</summary>
    public static ulong ReservedLow(int hostAddressWidth) => 0xFF0UL | ~VtdWidth.HawMask(hostAddressWidth);

    /// <summary>QEMU <c>VTD_CONTEXT_ENTRY_RSVD_HI</c>: bit 7 and bits 63:24.</summary>
    public const ulong ReservedHigh = 0xFFFF_FFFF_FF00_0080;

    public static ulong MakeLow(ContextTranslationType type, PhysAddr root, bool faultProcessingDisable) =>
        (root.Value & ~0xFFFUL) | ((ulong)type << 2) | (faultProcessingDisable ? 2UL : 0UL) | 1UL;

    public static ulong MakeHigh(ushort domainId, int agaw) => ((ulong)domainId << 8) | ((ulong)agaw & 7);
}

/// <summary>
/// Second-level paging entry, 8 bytes, same format at every level (vtd-hardware.md §3.1).
/// High bit to low: 63 ign | 62 TM | 61:52 ign | 51:12 ADDR | 11 SNP | 10:8 AVL | 7 PS | 6 IPAT | 5:3 EMT |
/// 2 X | 1 W | 0 R. Not present ⇔ R = W = 0 (Linux <c>dma_pte_present</c>).
/// </summary>
public static class VtdSlPte
{
    public const ulong Read = 1UL << 0;
    public const ulong Write = 1UL << 1;
    public const ulong Execute = 1UL << 2;
    public const ulong PageSize = 1UL << 7;
    public const ulong Snoop = 1UL << 11;
    public const ulong TransientMapping = 1UL << 62;
    public static readonly BitField Address = new(12, 40);

    /// <summary>QEMU <c>VTD_SL_IGN_COM</c>: bits 63 and 61:52 are ignored, never reserved.</summary>
    public const ulong IgnoredMask = 0xBFF0_0000_0000_0000;

    /// <summary>Entries per 4 KiB table and index bits per level.</summary>
    public const int EntriesPerTable = 512;
    public const int LevelStride = 9;

    public static bool IsPresent(ulong pte) => (pte & (Read | Write)) != 0;

    /// <summary>Index of the entry for <paramref name="iova"/> in a level-<paramref name="level"/> table (§3.2).</summary>
    public static int Index(ulong iova, int level) => (int)((iova >> (12 + LevelStride * (level - 1))) & 0x1FF);

    /// <summary>Bytes mapped by a leaf at this level: 4 KiB, 2 MiB, 1 GiB, ...</summary>
    public static int LevelShift(int level) => 12 + LevelStride * (level - 1);

    /// <summary>
    /// Reserved bits of an entry at a level, as QEMU's <c>vtd_init</c> builds its masks
    /// (<c>VTD_SPTE_PAGE_L*_RSVD_MASK</c>, <c>VTD_SPTE_LPAGE_L*_RSVD_MASK</c>; vtd-hardware.md §3.1).
    /// Snoop control is not modelled, so bit 11 is always reserved; TM (bit 62) is reserved because
    /// stale-tm/device-iotlb are not modelled. Level 5 is given level 4's rule (derived; QEMU has no 5-level).
    /// </summary>
    public static ulong ReservedMask(int level, bool largePage, int hostAddressWidth)
    {
        var high = ~(VtdWidth.HawMask(hostAddressWidth) | IgnoredMask);
        return level switch
        {
            1 => 0x800UL | high,
            2 => (largePage ? 0x1F_F800UL : 0x800UL) | high,
            3 => (largePage ? 0x3FFF_F800UL : 0x800UL) | high,
            _ => 0x880UL | high,
        };
    }
}

/// <summary>Address-width arithmetic shared by the hardware and the driver (Linux <c>agaw_to_*</c>, §3.2).</summary>
public static class VtdWidth
{
    /// <summary>QEMU <c>VTD_HAW_MASK(aw)</c>: 2^aw − 1.</summary>
    public static ulong HawMask(int widthBits) => widthBits >= 64 ? ulong.MaxValue : (1UL << widthBits) - 1;

    /// <summary>AW field / agaw n ⇒ n + 2 levels (Linux <c>agaw_to_level</c>).</summary>
    public static int AgawToLevels(int agaw) => agaw + 2;

    /// <summary>agaw n ⇒ 30 + 9n bits, capped at 64 (Linux <c>agaw_to_width</c>).</summary>
    public static int AgawToWidth(int agaw) => Math.Min(30 + 9 * agaw, 64);

    /// <summary>Modern <c>width_to_agaw</c>: ceil((w − 30) / 9).</summary>
    public static int WidthToAgawCeil(int width) => (width - 30 + 8) / 9;

    /// <summary>2.6.32 <c>width_to_agaw</c>: (w − 30) / 9, rounded down.</summary>
    public static int WidthToAgawFloor(int width) => (width - 30) / 9;
}

/// <summary>The interrupt address window 0xFEE0_0000–0xFEEF_FFFF (QEMU <c>VTD_INTERRUPT_ADDR_FIRST/LAST</c>).</summary>
public static class VtdInterruptWindow
{
    public const ulong First = 0xFEE0_0000;
    public const ulong Last = 0xFEEF_FFFF;

    public static bool Overlaps(ulong start, ulong lastByte) => start <= Last && lastByte >= First;
}
