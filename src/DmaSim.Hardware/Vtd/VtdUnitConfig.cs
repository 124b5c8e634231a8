using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>
/// What one remapping unit reports and supports. The presets reproduce QEMU's reset values for
/// <c>-device intel-iommu</c> with <c>aw-bits</c> 39 and 48 and interrupt remapping off
/// (vtd-hardware.md §1.2, §1.3, §6.3; QEMU <c>vtd_cap_init</c>).
/// </summary>
public sealed record VtdUnitConfig
{
    /// <summary>MMIO base (Q35: 0xFED9_0000, QEMU <c>Q35_HOST_BRIDGE_IOMMU_ADDR</c>).</summary>
    public ulong RegisterBase { get; init; } = 0xFED9_0000;

    /// <summary>Host address width: masks table pointers and PTE addresses (QEMU <c>aw-bits</c>, HAW masks).</summary>
    public int HostAddressWidth { get; init; } = 48;

    /// <summary>Maximum guest address width: CAP.MGAW = this − 1; IOVAs at or above it fault with reason 4.</summary>
    public int MaxGuestAddressWidth { get; init; } = 48;

    /// <summary>SAGAW field: bit 1 = 39-bit/3-level, bit 2 = 48-bit/4-level, bit 3 = 57-bit/5-level.</summary>
    public int Sagaw { get; init; } = VtdCap.SagawBitForWidth(39) | VtdCap.SagawBitForWidth(48);

    /// <summary>ECAP.PT: context entries may use translation type 2.</summary>
    public bool PassThrough { get; init; } = true;

    /// <summary>ECAP.QI: queued invalidation (QEMU always reports it).</summary>
    public bool QueuedInvalidation { get; init; } = true;

    /// <summary>CAP.CM: caching mode (QEMU <c>caching-mode</c>).</summary>
    public bool CachingMode { get; init; }

    /// <summary>CAP.ZLR: zero-length reads (Linux 2.6.32 adds READ to every mapping when absent).</summary>
    public bool ZeroLengthRead { get; init; }

    /// <summary>CAP.PSI: page-selective IOTLB invalidation.</summary>
    public bool PageSelectiveInvalidation { get; init; } = true;

    /// <summary>CAP.MAMV: largest address mask a PSI accepts (QEMU 18).</summary>
    public int MaxAddressMaskValue { get; init; } = 18;

    /// <summary>CAP.ND: 2^(4+2·ND) domains (QEMU 6: 16-bit domain ids).</summary>
    public int NumberOfDomainsField { get; init; } = 6;

    /// <summary>Fault recording registers (CAP.NFR + 1). QEMU has exactly one.</summary>
    public int FaultRecordingRegisters { get; init; } = 1;

    /// <summary>CAP.SLLPS bits: <see cref="VtdCap.Sllps2M"/> | <see cref="VtdCap.Sllps1G"/> in QEMU.</summary>
    public int SecondLevelLargePages { get; init; } = VtdCap.Sllps2M | VtdCap.Sllps1G;

    /// <summary>CAP.RWBF: software must flush the write buffer after changing tables.</summary>
    public bool RequiresWriteBufferFlush { get; init; }

    /// <summary>CAP.DWD/DRD: QEMU <c>dma-drain</c>, on by default.</summary>
    public bool DmaDrain { get; init; } = true;

    /// <summary>ECAP.IR (+ MHMV 15): interrupt remapping. Only the IRTA/SIRTP/IRE status bits are modelled.</summary>
    public bool InterruptRemapping { get; init; }

    /// <summary>ECAP.DT: device-TLB; allows translation type 1.</summary>
    public bool DeviceIotlb { get; init; }

    /// <summary>VER register (QEMU 0x10: major 1, minor 0).</summary>
    public uint Version { get; init; } = 0x10;

    /// <summary>CAP.FRO: fault records at FRO × 16 (QEMU 0x22 → 0x220).</summary>
    public int FaultRecordingOffset { get; init; } = 0x22;

    /// <summary>ECAP.IRO: IVA/IOTLB registers at IRO × 16 (QEMU 0xF → 0xF0).</summary>
    public int IotlbRegisterOffset { get; init; } = 0xF;

    /// <summary>
    /// CAP as a real unit reported it, when the unit was built from register values
    /// (<see cref="FromRegisters"/>): <see cref="BuildCap"/> returns it verbatim, bits the model does not
    /// interpret included. The modelled fields above were decoded from it.
    /// </summary>
    public ulong? RawCap { get; init; }

    /// <summary>ECAP as a real unit reported it (see <see cref="RawCap"/>).</summary>
    public ulong? RawEcap { get; init; }

    /// <summary>
    /// A unit that reports exactly the given VER, CAP and ECAP (e.g. the values a real kernel printed in
    /// "dmar0: reg_base_addr … ver 1:0 cap c90780106f0462 ecap f020fe"). Field positions: VT-d spec 11.4.2
    /// (CAP) and 11.4.3 (ECAP), vtd-hardware.md §1.2/§1.3; the modelled behaviour follows the decoded fields.
    /// </summary>
    public static VtdUnitConfig FromRegisters(ulong cap, ulong ecap, ulong registerBase, int hostAddressWidth, uint version = 0x10)
    {
        var config = new VtdUnitConfig
        {
            RegisterBase = registerBase,
            HostAddressWidth = hostAddressWidth,
            MaxGuestAddressWidth = (int)VtdCap.Mgaw.Get(cap) + 1,
            Sagaw = (int)VtdCap.Sagaw.Get(cap),
            NumberOfDomainsField = (int)VtdCap.Nd.Get(cap),
            RequiresWriteBufferFlush = VtdCap.Rwbf.IsSet(cap),
            CachingMode = VtdCap.Cm.IsSet(cap),
            ZeroLengthRead = VtdCap.Zlr.IsSet(cap),
            FaultRecordingOffset = (int)VtdCap.Fro.Get(cap),
            SecondLevelLargePages = (int)VtdCap.Sllps.Get(cap),
            PageSelectiveInvalidation = VtdCap.Psi.IsSet(cap),
            FaultRecordingRegisters = (int)VtdCap.Nfr.Get(cap) + 1,
            MaxAddressMaskValue = (int)VtdCap.Mamv.Get(cap),
            DmaDrain = VtdCap.Dwd.IsSet(cap) && VtdCap.Drd.IsSet(cap),
            QueuedInvalidation = VtdEcap.Qi.IsSet(ecap),
            DeviceIotlb = VtdEcap.Dt.IsSet(ecap),
            InterruptRemapping = VtdEcap.Ir.IsSet(ecap),
            PassThrough = VtdEcap.Pt.IsSet(ecap),
            IotlbRegisterOffset = (int)VtdEcap.Iro.Get(ecap),
            Version = version,
            RawCap = cap,
            RawEcap = ecap,
        };
        config.Validate();
        return config;
    }

    /// <summary>QEMU <c>-device intel-iommu,aw-bits=39</c> (the default before QEMU 9.2). CAP = 0x00D2_008C_2226_0206.</summary>
    public static VtdUnitConfig Qemu39() => new()
    {
        HostAddressWidth = 39,
        MaxGuestAddressWidth = 39,
        Sagaw = VtdCap.SagawBitForWidth(39),
    };

    /// <summary>QEMU <c>-device intel-iommu</c> with aw-bits=48 (default since 9.2). CAP = 0x00D2_008C_222F_0606.</summary>
    public static VtdUnitConfig Qemu48() => new();

    /// <summary>Builds the CAP register value from this configuration.</summary>
    public ulong BuildCap()
    {
        Validate();
        if (RawCap is { } raw) return raw;
        ulong cap = 0;
        cap = VtdCap.Nd.Set(cap, (ulong)NumberOfDomainsField);
        cap = VtdCap.Rwbf.Set(cap, RequiresWriteBufferFlush ? 1UL : 0);
        cap = VtdCap.Cm.Set(cap, CachingMode ? 1UL : 0);
        cap = VtdCap.Sagaw.Set(cap, (ulong)Sagaw);
        cap = VtdCap.Mgaw.Set(cap, (ulong)(MaxGuestAddressWidth - 1));
        cap = VtdCap.Zlr.Set(cap, ZeroLengthRead ? 1UL : 0);
        cap = VtdCap.Fro.Set(cap, (ulong)FaultRecordingOffset);
        cap = VtdCap.Sllps.Set(cap, (ulong)SecondLevelLargePages);
        cap = VtdCap.Psi.Set(cap, PageSelectiveInvalidation ? 1UL : 0);
        cap = VtdCap.Nfr.Set(cap, (ulong)(FaultRecordingRegisters - 1));
        cap = VtdCap.Mamv.Set(cap, (ulong)MaxAddressMaskValue);
        cap = VtdCap.Dwd.Set(cap, DmaDrain ? 1UL : 0);
        cap = VtdCap.Drd.Set(cap, DmaDrain ? 1UL : 0);
        return cap;
    }

    /// <summary>Builds the ECAP register value from this configuration.</summary>
    public ulong BuildEcap()
    {
        if (RawEcap is { } raw) return raw;
        ulong ecap = 0;
        ecap = VtdEcap.Qi.Set(ecap, QueuedInvalidation ? 1UL : 0);
        ecap = VtdEcap.Dt.Set(ecap, DeviceIotlb ? 1UL : 0);
        ecap = VtdEcap.Ir.Set(ecap, InterruptRemapping ? 1UL : 0);
        ecap = VtdEcap.Pt.Set(ecap, PassThrough ? 1UL : 0);
        ecap = VtdEcap.Iro.Set(ecap, (ulong)IotlbRegisterOffset);
        ecap = VtdEcap.Mhmv.Set(ecap, InterruptRemapping ? 15UL : 0);
        return ecap;
    }

    private void Validate()
    {
        if (HostAddressWidth is < 32 or > 64) throw new ArgumentOutOfRangeException(nameof(HostAddressWidth), HostAddressWidth, "host address width must be 32..64 bits");
        if (MaxGuestAddressWidth is < 32 or > 64) throw new ArgumentOutOfRangeException(nameof(MaxGuestAddressWidth), MaxGuestAddressWidth, "MGAW must be 32..64 bits");
        if ((Sagaw & ~0x1F) != 0) throw new ArgumentOutOfRangeException(nameof(Sagaw), Sagaw, "SAGAW is a 5-bit field");
        if (FaultRecordingRegisters is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(FaultRecordingRegisters), FaultRecordingRegisters, "1..256 fault recording registers");
        if (NumberOfDomainsField is < 0 or > 6) throw new ArgumentOutOfRangeException(nameof(NumberOfDomainsField), NumberOfDomainsField, "ND is 0..6");
        if (MaxAddressMaskValue is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(MaxAddressMaskValue), MaxAddressMaskValue, "MAMV is a 6-bit field");
        // The IOTLB pair must not overlap the fault records or the fixed registers below 0xB8+8. QEMU puts
        // it below the records; real units often above them (c90780106f0462/f020fe: records at 0x100, IOTLB at 0x200).
        var iva = IotlbRegisterOffset * 16;
        var frcd = FaultRecordingOffset * 16;
        if (iva < 0xC0 || frcd < 0xC0 || (iva < frcd + (16 * FaultRecordingRegisters) && frcd < iva + 16))
            throw new ArgumentOutOfRangeException(nameof(IotlbRegisterOffset), IotlbRegisterOffset, "IOTLB registers must sit above 0xC0, clear of the fault records");
    }
}
