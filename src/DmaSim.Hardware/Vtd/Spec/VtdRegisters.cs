using DmaSim.Core;

namespace DmaSim.Hardware.Vtd.Spec;

/// <summary>
/// Register offsets of one remapping unit, from its MMIO base. Source: vtd-hardware.md §1.1
/// (QEMU <c>intel_iommu_internal.h</c> DMAR_*_REG, Linux <c>drivers/iommu/intel/iommu.h</c>).
/// The IOTLB pair and the fault records move with ECAP.IRO and CAP.FRO; the constants here are the
/// QEMU positions, and <see cref="VtdUnitConfigSpec"/> computes the real ones.
/// </summary>
public static class VtdRegister
{
    public const int Ver = 0x000;
    public const int Cap = 0x008;
    public const int Ecap = 0x010;
    public const int Gcmd = 0x018;
    public const int Gsts = 0x01C;
    public const int RtAddr = 0x020;
    public const int Ccmd = 0x028;
    public const int Fsts = 0x034;
    public const int Fectl = 0x038;
    public const int FeData = 0x03C;
    public const int FeAddr = 0x040;
    public const int FeUAddr = 0x044;
    public const int Aflog = 0x058;
    public const int Pmen = 0x064;
    public const int Iqh = 0x080;
    public const int Iqt = 0x088;
    public const int Iqa = 0x090;
    public const int Ics = 0x09C;
    public const int Iectl = 0x0A0;
    public const int IeData = 0x0A4;
    public const int IeAddr = 0x0A8;
    public const int IeUAddr = 0x0AC;
    public const int Irta = 0x0B8;

    /// <summary>Size of one fault-recording register (128 bits).</summary>
    public const int FrcdSize = 16;
}

/// <summary>Offsets that depend on CAP.FRO / ECAP.IRO.</summary>
public static class VtdUnitConfigSpec
{
    /// <summary>IVA register: ECAP.IRO × 16 (Linux <c>ecap_iotlb_offset</c>).</summary>
    public static int IvaOffset(ulong ecap) => (int)VtdEcap.Iro.Get(ecap) * 16;

    /// <summary>IOTLB invalidate register: IVA + 8 (Linux <c>__iommu_flush_iotlb</c>, tlb_offset + 8).</summary>
    public static int IotlbOffset(ulong ecap) => IvaOffset(ecap) + 8;

    /// <summary>Fault record i: CAP.FRO × 16 + 16·i (Linux <c>cap_fault_reg_offset</c>).</summary>
    public static int FrcdOffset(ulong cap, int index) => (int)VtdCap.Fro.Get(cap) * 16 + VtdRegister.FrcdSize * index;

    /// <summary>Number of fault-recording registers: CAP.NFR + 1 (Linux <c>cap_num_fault_regs</c>).</summary>
    public static int FaultRecordCount(ulong cap) => (int)VtdCap.Nfr.Get(cap) + 1;
}

/// <summary>
/// Capability register (vtd-hardware.md §1.2; bit positions from Linux <c>cap_*</c> decoders).
/// Layout, high bit to low:
/// 63 ESRTPS | 62 ESIRTPS | 61 ECMDS | 60 FL5LP | 59 PI | 58:57 rsvd | 56 FS1GP | 55 DRD | 54 DWD |
/// 53:48 MAMV | 47:40 NFR | 39 PSI | 38 rsvd | 37:34 SLLPS | 33:24 FRO | 23 ISOCH | 22 ZLR |
/// 21:16 MGAW | 15:13 rsvd | 12:8 SAGAW | 7 CM | 6 PHMR | 5 PLMR | 4 RWBF | 3 AFL | 2:0 ND
/// </summary>
public static class VtdCap
{
    public static readonly BitField Nd = new(0, 3);
    public static readonly BitField Afl = BitField.Bit(3);
    public static readonly BitField Rwbf = BitField.Bit(4);
    public static readonly BitField Plmr = BitField.Bit(5);
    public static readonly BitField Phmr = BitField.Bit(6);
    public static readonly BitField Cm = BitField.Bit(7);
    public static readonly BitField Sagaw = new(8, 5);
    public static readonly BitField Mgaw = new(16, 6);
    public static readonly BitField Zlr = BitField.Bit(22);
    public static readonly BitField Isoch = BitField.Bit(23);
    public static readonly BitField Fro = new(24, 10);
    public static readonly BitField Sllps = new(34, 4);
    public static readonly BitField Psi = BitField.Bit(39);
    public static readonly BitField Nfr = new(40, 8);
    public static readonly BitField Mamv = new(48, 6);
    public static readonly BitField Dwd = BitField.Bit(54);
    public static readonly BitField Drd = BitField.Bit(55);
    public static readonly BitField Fs1gp = BitField.Bit(56);

    /// <summary>SLLPS bit 0 (CAP bit 34): 2 MiB second-level pages.</summary>
    public const int Sllps2M = 1;
    /// <summary>SLLPS bit 1 (CAP bit 35): 1 GiB second-level pages.</summary>
    public const int Sllps1G = 2;

    /// <summary>SAGAW bit n ⇔ (n+2)-level tables, width 30 + 9n (vtd-hardware.md §1.2, §3.2).</summary>
    public static int SagawBitForWidth(int widthBits) => widthBits switch
    {
        30 => 1 << 0,
        39 => 1 << 1,
        48 => 1 << 2,
        57 => 1 << 3,
        _ => throw new ArgumentOutOfRangeException(nameof(widthBits), widthBits, "SAGAW widths are 30, 39, 48 or 57 bits"),
    };

    /// <summary>Number of domains = 2^(4 + 2·ND) (Linux <c>cap_ndoms</c>).</summary>
    public static int DomainCount(ulong cap) => 1 << (4 + 2 * (int)Nd.Get(cap));
}

/// <summary>
/// Extended capability register (vtd-hardware.md §1.3, Linux <c>ecap_*</c>). Layout, high bit to low:
/// 47 FLTS | 46 SLTS | 43 SMTS | 40 PASID | 39:35 PSS | 31 SRS | 23:20 MHMV | 17:8 IRO | 7 SC | 6 PT |
/// 5 rsvd | 4 EIM | 3 IR | 2 DT | 1 QI | 0 C
/// </summary>
public static class VtdEcap
{
    public static readonly BitField C = BitField.Bit(0);
    public static readonly BitField Qi = BitField.Bit(1);
    public static readonly BitField Dt = BitField.Bit(2);
    public static readonly BitField Ir = BitField.Bit(3);
    public static readonly BitField Eim = BitField.Bit(4);
    public static readonly BitField Pt = BitField.Bit(6);
    public static readonly BitField Sc = BitField.Bit(7);
    public static readonly BitField Iro = new(8, 10);
    public static readonly BitField Mhmv = new(20, 4);
    public static readonly BitField Smts = BitField.Bit(43);
}

/// <summary>
/// GCMD command bits and the GSTS status bits at the same positions (vtd-hardware.md §1.4).
/// Layout, high bit to low: 31 TE | 30 SRTP | 29 SFL | 28 EAFL | 27 WBF | 26 QIE | 25 IRE | 24 SIRTP | 23 CFI.
/// </summary>
public static class VtdGlobal
{
    public const uint Te = 1u << 31;
    public const uint Srtp = 1u << 30;
    public const uint Sfl = 1u << 29;
    public const uint Eafl = 1u << 28;
    public const uint Wbf = 1u << 27;
    public const uint Qie = 1u << 26;
    public const uint Ire = 1u << 25;
    public const uint Sirtp = 1u << 24;
    public const uint Cfi = 1u << 23;

    /// <summary>GCMD bits a write may set (QEMU <c>vtd_init</c>: 0xFF80_0000).</summary>
    public const uint WritableMask = 0xFF80_0000;
}

/// <summary>RTADDR: 63:12 root-table address | 11:10 TTM (bit 10 SMT) | 9:0 rsvd (vtd-hardware.md §1.5).</summary>
public static class VtdRtAddr
{
    public static readonly BitField Address = new(12, 52);
    public static readonly BitField Smt = BitField.Bit(10);
    public const ulong WritableMask = 0xFFFF_FFFF_FFFF_FC00;
}

/// <summary>
/// Context command register (vtd-hardware.md §1.5). Layout, high bit to low:
/// 63 ICC | 62:61 CIRG | 60:59 CAIG | 58:34 rsvd | 33:32 FM | 31:16 SID | 15:0 DID.
/// </summary>
public static class VtdCcmd
{
    public static readonly BitField Icc = BitField.Bit(63);
    public static readonly BitField Cirg = new(61, 2);
    public static readonly BitField Caig = new(59, 2);
    public static readonly BitField Fm = new(32, 2);
    public static readonly BitField Sid = new(16, 16);
    public static readonly BitField Did = new(0, 16);
    public const ulong WritableMask = 0xE000_0003_FFFF_FFFF;
    public const ulong WriteOnlyMask = 0x0000_0003_FFFF_0000;
}

/// <summary>Granularity codes shared by CCMD.CIRG/CAIG, IOTLB.IIRG/IAIG and the QI descriptors' G field.</summary>
public enum VtdInvalidationGranularity : byte
{
    /// <summary>Reported when the request was not performed.</summary>
    None = 0,
    Global = 1,
    /// <summary>Domain-selective (DSI).</summary>
    Domain = 2,
    /// <summary>Device-selective for the context cache, page-selective (PSI) for the IOTLB.</summary>
    DeviceOrPage = 3,
}

/// <summary>
/// IOTLB invalidate register at IRO×16+8 (vtd-hardware.md §1.5). Layout, high bit to low:
/// 63 IVT | 62 rsvd | 61:60 IIRG | 59 rsvd | 58:57 IAIG | 56:50 rsvd | 49 DR | 48 DW | 47:32 DID | 31:0 rsvd.
/// </summary>
public static class VtdIotlbReg
{
    public static readonly BitField Ivt = BitField.Bit(63);
    public static readonly BitField Iirg = new(60, 2);
    public static readonly BitField Iaig = new(57, 2);
    public static readonly BitField Dr = BitField.Bit(49);
    public static readonly BitField Dw = BitField.Bit(48);
    public static readonly BitField Did = new(32, 16);
    public const ulong WritableMask = 0xB003_FFFF_0000_0000;
}

/// <summary>IVA register: 63:12 ADDR | 11:7 rsvd | 6 IH | 5:0 AM (vtd-hardware.md §1.5).</summary>
public static class VtdIva
{
    public static readonly BitField Addr = new(12, 52);
    public static readonly BitField Ih = BitField.Bit(6);
    public static readonly BitField Am = new(0, 6);
    public const ulong WritableMask = 0xFFFF_FFFF_FFFF_F07F;
}

/// <summary>Fault status: 15:8 FRI | 7 PRO | 6 ITE | 5 ICE | 4 IQE | 1 PPF | 0 PFO (vtd-hardware.md §1.6).</summary>
public static class VtdFsts
{
    public const uint Pfo = 1u << 0;
    public const uint Ppf = 1u << 1;
    public const uint Iqe = 1u << 4;
    public const uint Ice = 1u << 5;
    public const uint Ite = 1u << 6;
    public const uint Pro = 1u << 7;
    public static readonly BitField Fri = new(8, 8);
    /// <summary>W1C bits in QEMU (PFO and IQE).</summary>
    public const uint W1cMask = 0x11;
}

/// <summary>FECTL and IECTL: 31 IM (mask) | 30 IP (pending) (vtd-hardware.md §1.6, §1.7).</summary>
public static class VtdEventControl
{
    public const uint Im = 1u << 31;
    public const uint Ip = 1u << 30;
}

/// <summary>IQA: 63:12 base | 11 DW | 10:3 rsvd | 2:0 QS (vtd-hardware.md §1.7).</summary>
public static class VtdIqa
{
    public static readonly BitField Base = new(12, 52);
    public static readonly BitField Dw = BitField.Bit(11);
    public static readonly BitField Qs = new(0, 3);
    public const ulong WritableMask = 0xFFFF_FFFF_FFFF_F807;
}

/// <summary>IQH / IQT hold the descriptor index shifted by 4 (128-bit descriptors): mask 0x7FFF0.</summary>
public static class VtdIqPointer
{
    public const ulong Mask = 0x7FFF0;
    public const int Shift128 = 4;
}

/// <summary>PMEN: 31 EPM (enable protected memory) | 0 PRS (status). QEMU reports no PMRs: RO 0.</summary>
public static class VtdPmen
{
    public const uint Epm = 1u << 31;
    public const uint Prs = 1u << 0;
}

/// <summary>ICS: bit 0 IWC (invalidation wait complete, W1C).</summary>
public static class VtdIcs
{
    public const uint Iwc = 1u;
}

/// <summary>
/// Fault recording register (128 bits) as two qwords (vtd-hardware.md §1.6). Low qword: 63:12 FI | 11:0 rsvd.
/// High qword (bits 127:64 of the record), high bit to low: 63 F | 62 T (1 = read) | 61:60 AT | 59:40 PV |
/// 39:32 FR | 31 PP | 30:16 rsvd | 15:0 SID.
/// </summary>
public static class VtdFrcd
{
    public static readonly BitField FaultInfo = new(12, 52);
    public static readonly BitField Sid = new(0, 16);
    public static readonly BitField Pp = BitField.Bit(31);
    public static readonly BitField Fr = new(32, 8);
    public static readonly BitField Pv = new(40, 20);
    public static readonly BitField T = BitField.Bit(62);
    public static readonly BitField F = BitField.Bit(63);
}
