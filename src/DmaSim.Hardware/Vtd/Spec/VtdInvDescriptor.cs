using DmaSim.Core;

namespace DmaSim.Hardware.Vtd.Spec;

/// <summary>Queued-invalidation descriptor types (bits 3:0 plus 11:9 as bits 6:4; vtd-hardware.md §5.4).</summary>
public enum VtdInvDescriptorType : byte
{
    ContextCache = 1,
    Iotlb = 2,
    DeviceTlb = 3,
    InterruptEntryCache = 4,
    Wait = 5,
    PasidIotlb = 6,
    PasidCache = 7,
    PasidDeviceTlb = 8,
}

/// <summary>
/// 128-bit invalidation descriptors (two qwords). Field positions and QEMU's reserved masks from
/// vtd-hardware.md §5.4 (QEMU <c>VTD_INV_DESC_*</c>, Linux <c>QI_*</c>).
/// <list type="bullet">
/// <item>Context-cache, qword 0: 63:50 rsvd | 49:48 FM | 47:32 SID | 31:16 DID | 15:12 rsvd | 11:9 type[6:4] | 8:6 rsvd | 5:4 G | 3:0 type. Qword 1 rsvd.</item>
/// <item>IOTLB, qword 0: 63:32 rsvd | 31:16 DID | 15:12 rsvd | 11:9 type | 8 rsvd | 7 DR | 6 DW | 5:4 G | 3:0 type.
/// Qword 1: 63:12 ADDR | 11:7 rsvd | 6 IH | 5:0 AM.</item>
/// <item>Wait, qword 0: 63:32 status data | 31:12 rsvd | 11:9 type | 8 rsvd | 7 PD | 6 FN | 5 SW | 4 IF | 3:0 type.
/// Qword 1: 63:2 status address | 1:0 rsvd.</item>
/// </list>
/// </summary>
public static class VtdInvDescriptor
{
    public const int Size128 = 16;

    public static readonly BitField TypeLow = new(0, 4);
    public static readonly BitField TypeHigh = new(9, 3);
    public static readonly BitField Granularity = new(4, 2);
    public static readonly BitField DomainId = new(16, 16);

    // Context-cache descriptor.
    public static readonly BitField ContextSid = new(32, 16);
    public static readonly BitField ContextFm = new(48, 2);
    public const ulong ContextReservedLow = 0xFFFC_0000_0000_F1C0;

    // IOTLB descriptor.
    public static readonly BitField IotlbDr = BitField.Bit(7);
    public static readonly BitField IotlbDw = BitField.Bit(6);
    public static readonly BitField IotlbAddr = new(12, 52);
    public static readonly BitField IotlbIh = BitField.Bit(6);
    public static readonly BitField IotlbAm = new(0, 6);
    public const ulong IotlbReservedLow = 0xFFFF_FFFF_0000_F100;
    public const ulong IotlbReservedHigh = 0xF80;

    // Device-TLB and interrupt-entry-cache descriptors (accepted, nothing cached to drop here).
    public const ulong DeviceTlbReservedLow = 0xFFFF_0000_FFE0_F1F0;
    public const ulong DeviceTlbReservedHigh = 0xFFE;
    public const ulong IecReservedLow = 0xFFFF_0000_07FF_F1E0;

    // Wait descriptor.
    public static readonly BitField WaitIf = BitField.Bit(4);
    public static readonly BitField WaitSw = BitField.Bit(5);
    public static readonly BitField WaitFn = BitField.Bit(6);
    public static readonly BitField WaitStatusData = new(32, 32);
    public static readonly BitField WaitStatusAddress = new(2, 62);
    /// <summary>QEMU's newer wait reserved mask (bits 31:12 and 8:7); older QEMU also reserved bits 11:9.</summary>
    public const ulong WaitReservedLow = 0xFFFF_F180;
    public const ulong WaitReservedHigh = 0x3;

    /// <summary>Decodes the 7-bit type (QEMU <c>VTD_INV_DESC_TYPE</c>).</summary>
    public static int TypeOf(ulong qword0) => (int)(TypeLow.Get(qword0) | (TypeHigh.Get(qword0) << 4));

    public static ulong ContextCacheLow(VtdInvalidationGranularity g, ushort domainId = 0, ushort sourceId = 0, int functionMask = 0) =>
        (ulong)VtdInvDescriptorType.ContextCache | ((ulong)g << 4) | ((ulong)domainId << 16) |
        ((ulong)sourceId << 32) | ((ulong)(functionMask & 3) << 48);

    public static ulong IotlbLow(VtdInvalidationGranularity g, ushort domainId = 0, bool drainReads = false, bool drainWrites = false) =>
        (ulong)VtdInvDescriptorType.Iotlb | ((ulong)g << 4) | ((ulong)domainId << 16) |
        (drainReads ? 1UL << 7 : 0) | (drainWrites ? 1UL << 6 : 0);

    public static ulong IotlbHigh(ulong address, int addressMask, bool invalidationHint = false) =>
        (address & ~0xFFFUL) | (invalidationHint ? 1UL << 6 : 0) | ((ulong)addressMask & 0x3F);

    /// <summary>Wait descriptor with SW (status write) and/or IF (interrupt) and FN (fence).</summary>
    public static ulong WaitLow(uint statusData, bool statusWrite, bool interrupt, bool fence) =>
        (ulong)VtdInvDescriptorType.Wait | (interrupt ? 1UL << 4 : 0) | (statusWrite ? 1UL << 5 : 0) |
        (fence ? 1UL << 6 : 0) | ((ulong)statusData << 32);

    public static ulong WaitHigh(PhysAddr statusAddress) => statusAddress.Value & ~3UL;
}
