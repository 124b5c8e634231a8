using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>Fault recording, overflow and same-requester compression (vtd-hardware.md §4.3, §9.6.6).</summary>
public class VtdFaultRecordingTests
{
    [Fact]
    public void Overflow_and_same_requester_rules_follow_qemu()
    {
        var rig = new VtdRig();
        rig.Enable();
        Assert.Equal(FaultRecordOutcome.Recorded, rig.Dma(0x0100, 0x1000).Recording);
        var record = rig.FrcdHigh();

        // Same SID while F is set: compressed, nothing changes, no PFO.
        Assert.Equal(FaultRecordOutcome.Compressed, rig.Dma(0x0100, 0x2000).Recording);
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Pfo);

        // Different SID: PFO, the record is unchanged, no second interrupt.
        Assert.Equal(FaultRecordOutcome.Overflow, rig.Dma(0x0200, 0x3000).Recording);
        Assert.NotEqual(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Pfo);
        Assert.Equal(record, rig.FrcdHigh());
        Assert.Single(rig.Interrupts(VtdInterruptKind.Fault));

        // While PFO is set every fault is dropped.
        Assert.Equal(FaultRecordOutcome.DroppedOverflowPending, rig.Dma(0x0300, 0x4000).Recording);

        // Software clears F and PFO: the next fault is recorded, FRI updated, an MSI sent.
        rig.W64(0x228, 1UL << 63);
        rig.W32(VtdRegister.Fsts, VtdFsts.Pfo);
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts));
        Assert.Equal(FaultRecordOutcome.Recorded, rig.Dma(0x0400, 0x5000).Recording);
        Assert.Equal(0x0400UL, VtdFrcd.Sid.Get(rig.FrcdHigh()));
        Assert.Equal(0UL, VtdFsts.Fri.Get(rig.R32(VtdRegister.Fsts)));
        Assert.Equal(2, rig.Interrupts(VtdInterruptKind.Fault).Count);
    }

    [Fact]
    public void Several_records_fill_in_order_and_only_the_first_raises_an_event()
    {
        var rig = new VtdRig(VtdUnitConfig.Qemu48() with { FaultRecordingRegisters = 4 });
        Assert.Equal(3UL, VtdCap.Nfr.Get(rig.R64(VtdRegister.Cap)));
        Assert.Equal(0x220 + 64, rig.Unit.RegisterWindowSize);
        rig.Enable();
        for (ushort sid = 1; sid <= 4; sid++) Assert.Equal(FaultRecordOutcome.Recorded, rig.Dma((ushort)(sid << 8), 0x1000).Recording);
        for (var i = 0; i < 4; i++) Assert.Equal((ulong)((i + 1) << 8), VtdFrcd.Sid.Get(rig.FrcdHigh(i)));
        Assert.Single(rig.Interrupts(VtdInterruptKind.Fault)); // PPF already set for the later ones
        Assert.Equal(FaultRecordOutcome.Overflow, rig.Dma(0x0900, 0x1000).Recording);
        Assert.Equal(0, rig.Unit.Faults.NextRecordIndex);
    }

    [Fact]
    public void A_masked_fault_event_stays_pending_until_unmasked()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.W32(VtdRegister.Fectl, VtdEventControl.Im);
        rig.Dma(0x0100, 0x1000);
        Assert.Equal(VtdEventControl.Im | VtdEventControl.Ip, rig.R32(VtdRegister.Fectl));
        Assert.Empty(rig.Interrupts(VtdInterruptKind.Fault));
        rig.W32(VtdRegister.Fectl, 0);
        Assert.Single(rig.Interrupts(VtdInterruptKind.Fault));
        Assert.Equal(0u, rig.R32(VtdRegister.Fectl));
    }

    [Fact]
    public void Disabling_translation_resets_the_next_record_index()
    {
        var rig = new VtdRig(VtdUnitConfig.Qemu48() with { FaultRecordingRegisters = 2 });
        rig.Enable();
        rig.Dma(0x0100, 0x1000);
        Assert.Equal(1, rig.Unit.Faults.NextRecordIndex);
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Qie);
        Assert.Equal(0, rig.Unit.Faults.NextRecordIndex);
    }

    [Fact]
    public void Linux_style_fault_handling_reads_the_record_dwords()
    {
        // dmar_fault reads F/FR/T at +12, SID at +8 and the address at +0, then writes F to +12 to clear it.
        var rig = new VtdRig();
        rig.Enable();
        rig.Dma(0x0A08, 0x1234_5678, write: false);
        var dw3 = rig.R32(0x22C);
        Assert.NotEqual(0u, dw3 & 0x8000_0000);
        Assert.Equal(1u, (dw3 >> 0) & 0xFF); // FR in bits 103:96 = dword 3 bits 7:0
        Assert.NotEqual(0u, dw3 & 0x4000_0000); // T = read
        Assert.Equal(0x0A08u, rig.R32(0x228) & 0xFFFF);
        Assert.Equal(0x1234_5000UL, rig.R64(0x220));
        rig.W32(0x22C, 0x8000_0000);
        Assert.Equal(0u, rig.R32(0x22C) & 0x8000_0000);
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Ppf);
    }
}
