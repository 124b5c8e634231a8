using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>VtdUnitConfig.FromRegisters: a unit that reports a real machine's VER/CAP/ECAP (values from ../shared/data logs).</summary>
public sealed class VtdUnitFromRegistersTests
{
    [Theory]
    [InlineData(0xc90780106f0462UL, 0xf020feUL, 0x10u)]     // Dell Precision T7500 (Tylersburg IOH)
    [InlineData(0x1c0000c40660462UL, 0x29a00f0505eUL, 0x40u)] // Dell Latitude 9420 dmar0 (iGPU unit, VT-d 4.0)
    [InlineData(0xd2008c40660462UL, 0xf050daUL, 0x10u)]     // Dell Latitude 9420 dmar1..4
    [InlineData(0xd2078c106f0462UL, 0xf020feUL, 0x10u)]     // HP ProLiant DL380e Gen8
    public void The_unit_reports_exactly_the_given_registers(ulong cap, ulong ecap, uint ver)
    {
        var config = VtdUnitConfig.FromRegisters(cap, ecap, 0xfed90000, 39, ver);
        var unit = new VtdUnit(new PhysicalMemory(39), config);
        Assert.Equal(cap, unit.ReadRegister(VtdRegister.Cap, 8));
        Assert.Equal(ecap, unit.ReadRegister(VtdRegister.Ecap, 8));
        Assert.Equal(ver, (uint)unit.ReadRegister(VtdRegister.Ver, 4));
    }

    [Fact]
    public void The_modelled_fields_are_decoded_from_the_registers()
    {
        // c90780106f0462: ND=2, SAGAW=0b00100 (48-bit), MGAW=0x2f (48), FRO=0x10, NFR=7, PSI; f020fe: QI, IR, PT, IRO=0x20.
        var c = VtdUnitConfig.FromRegisters(0xc90780106f0462UL, 0xf020feUL, 0xdfffe000, 40);
        Assert.Equal((2, 4, 48, 0x10, 8, true), (c.NumberOfDomainsField, c.Sagaw, c.MaxGuestAddressWidth, c.FaultRecordingOffset, c.FaultRecordingRegisters, c.PageSelectiveInvalidation));
        Assert.Equal((true, true, true, 0x20), (c.QueuedInvalidation, c.InterruptRemapping, c.PassThrough, c.IotlbRegisterOffset));
        Assert.Equal(0xdfffe000UL, c.RegisterBase);
    }

    [Fact]
    public void IOTLB_registers_above_the_fault_records_fit_in_the_register_window()
    {
        // FRO 0x100 + 8 records ends at 0x180; IRO puts IVA/IOTLB at 0x200/0x208 (vtd-hardware.md §1.1).
        var unit = new VtdUnit(new PhysicalMemory(39), VtdUnitConfig.FromRegisters(0xc90780106f0462UL, 0xf020feUL, 0xfed90000, 39));
        Assert.True(unit.RegisterWindowSize >= 0x210);
    }

    [Fact]
    public void Overlapping_IOTLB_and_fault_records_are_refused()
    {
        // CAP: NFR=7 (8 records), FRO=0x20 (records at 0x200), MGAW 48, SAGAW 48-bit, ND=2; ECAP: IRO=0x20 (IOTLB at 0x200).
        const ulong cap = (7UL << 40) | (0x20UL << 24) | (0x2fUL << 16) | (4UL << 8) | 2;
        const ulong ecap = (0x20UL << 8) | 2;
        Assert.Throws<ArgumentOutOfRangeException>(() => VtdUnitConfig.FromRegisters(cap, ecap, 0xfed90000, 39));
    }
}
