using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>Register file: vtd-hardware.md §1, §9.1 (intel-iommu-test), §9.5 init checks (KUT), §9.6.1–3.</summary>
public class VtdRegisterTests
{
    [Fact]
    public void Reset_values_match_qemu_for_aw_bits_48()
    {
        var rig = new VtdRig(VtdUnitConfig.Qemu48());
        Assert.Equal(0x10u, rig.R32(VtdRegister.Ver));
        Assert.Equal(0x00D2_008C_222F_0606UL, rig.R64(VtdRegister.Cap));
        Assert.Equal(0xF42UL, rig.R64(VtdRegister.Ecap));
        Assert.Equal(0u, rig.R32(VtdRegister.Gcmd));
        Assert.Equal(0u, rig.R32(VtdRegister.Gsts));
        Assert.Equal(0UL, rig.R64(VtdRegister.RtAddr));
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts));
        Assert.Equal(0x8000_0000u, rig.R32(VtdRegister.Fectl));
        Assert.Equal(0x8000_0000u, rig.R32(VtdRegister.Iectl));
        Assert.Equal(0x230, rig.Unit.RegisterWindowSize);
    }

    [Fact]
    public void Reset_values_match_qemu_for_aw_bits_39_and_caching_mode_adds_0x80()
    {
        Assert.Equal(0x00D2_008C_2226_0206UL, new VtdRig(VtdUnitConfig.Qemu39()).R64(VtdRegister.Cap));
        Assert.Equal(0x00D2_008C_222F_0686UL, new VtdRig(VtdUnitConfig.Qemu48() with { CachingMode = true }).R64(VtdRegister.Cap));
        // KUT command line: intremap=on adds IR and MHMV (vtd-hardware.md §1.3).
        Assert.Equal(0x00F0_0F4AUL, new VtdRig(VtdUnitConfig.Qemu48() with { InterruptRemapping = true }).R64(VtdRegister.Ecap));
    }

    [Fact]
    public void Cap_fields_hold_what_the_stage_1_qtest_checks()
    {
        var cap = new VtdRig().R64(VtdRegister.Cap);
        Assert.Equal(0x22UL, VtdCap.Fro.Get(cap));
        Assert.Equal(0UL, VtdCap.Nfr.Get(cap));
        Assert.Equal(6UL, VtdCap.Nd.Get(cap));
        Assert.Equal(18UL, VtdCap.Mamv.Get(cap));
        Assert.True(VtdCap.Psi.IsSet(cap));
        Assert.Equal(3UL, VtdCap.Sllps.Get(cap));
        Assert.Equal(0x6UL, VtdCap.Sagaw.Get(cap));
        Assert.Equal(47UL, VtdCap.Mgaw.Get(cap));
        Assert.Equal(0xFUL, VtdEcap.Iro.Get(new VtdRig().R64(VtdRegister.Ecap)));
    }

    [Fact]
    public void Reads_past_the_window_are_all_ones_and_writes_there_are_dropped()
    {
        var rig = new VtdRig();
        Assert.Equal(0xFFFF_FFFFu, rig.R32(0x230));
        Assert.Equal(ulong.MaxValue, rig.R64(0x22C));
        rig.W64(0x230, 0);
        Assert.Equal(0xFFFF_FFFFu, rig.R32(0x230));
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Unit.ReadRegister(0, 2));
    }

    [Fact]
    public void Write_only_and_read_only_registers_behave_as_masked()
    {
        var rig = new VtdRig();
        rig.W32(VtdRegister.Gcmd, 0xFFFF_FFFF & ~VtdGlobal.Te & ~VtdGlobal.Qie);
        Assert.Equal(0u, rig.R32(VtdRegister.Gcmd)); // write-only
        rig.W64(0xF0, 0xFFFF_FFFF_FFFF_F07F);
        Assert.Equal(0UL, rig.R64(0xF0)); // IVA is write-only
        rig.W64(VtdRegister.Cap, 0);
        Assert.Equal(0x00D2_008C_222F_0606UL, rig.R64(VtdRegister.Cap));
        rig.W32(VtdRegister.Gsts, 0xFFFF_FFFF);
        Assert.NotEqual(0xFFFF_FFFFu, rig.R32(VtdRegister.Gsts));
        rig.W64(VtdRegister.RtAddr, 0x1234_5FFF);
        Assert.Equal(0x1234_5C00UL, rig.R64(VtdRegister.RtAddr)); // bits 9:0 reserved
        rig.W32(VtdRegister.FeUAddr, 0xFFFF_FFFF);
        Assert.Equal(0u, rig.R32(VtdRegister.FeUAddr));
    }

    [Fact]
    public void Register_snapshot_is_identical_after_a_reset()
    {
        var rig = new VtdRig();
        var before = rig.Unit.SnapshotRegisters();
        rig.Enable();
        rig.W32(VtdRegister.FeData, 0x55);
        Assert.NotEqual(before, rig.Unit.SnapshotRegisters());
        rig.Unit.Reset();
        Assert.Equal(before, rig.Unit.SnapshotRegisters());
        Assert.False(rig.Unit.TranslationEnabled);
    }

    [Fact]
    public void Enable_sequence_sets_status_bits_and_te_acts_only_on_change()
    {
        var rig = new VtdRig();
        rig.Enable();
        var gsts = rig.R32(VtdRegister.Gsts);
        Assert.Equal(VtdGlobal.Te | VtdGlobal.Srtp | VtdGlobal.Qie, gsts);
        // RTPS is sticky; a write without TE disables translation.
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Qie);
        Assert.Equal(VtdGlobal.Srtp | VtdGlobal.Qie, rig.R32(VtdRegister.Gsts));
        Assert.False(rig.Unit.TranslationEnabled);
    }

    [Fact]
    public void Kut_init_sequence_passes_its_eight_checks()
    {
        // K-L vtd_init: QI is enabled with IQA never programmed, then the GSTS|cmd idiom for each command.
        var rig = new VtdRig(VtdUnitConfig.Qemu39() with { InterruptRemapping = true });
        Assert.True(((rig.R32(VtdRegister.Ver) >> 3) & 0xF) >= 1);
        void GcmdOr(uint bit) => rig.W32(VtdRegister.Gcmd, rig.R32(VtdRegister.Gsts) | bit);
        GcmdOr(VtdGlobal.Qie);
        rig.W64(VtdRegister.RtAddr, VtdRig.Root);
        GcmdOr(VtdGlobal.Srtp);
        rig.W64(VtdRegister.Irta, 0x2000_0000 | 0xF);
        GcmdOr(VtdGlobal.Sirtp);
        GcmdOr(VtdGlobal.Te);
        GcmdOr(VtdGlobal.Ire);
        var gsts = rig.R32(VtdRegister.Gsts);
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts));
        Assert.NotEqual(0u, gsts & (1u << 26));
        Assert.NotEqual(0u, gsts & (1u << 30));
        Assert.NotEqual(0u, gsts & (1u << 24));
        Assert.NotEqual(0u, gsts & (1u << 31));
        Assert.NotEqual(0u, gsts & (1u << 25));
        Assert.NotEqual(0UL, rig.R64(VtdRegister.Cap) & 0x200);
        Assert.NotEqual(0UL, rig.R64(VtdRegister.Cap) & ((1UL << 34) | (1UL << 35)));
    }

    [Fact]
    public void Iqa_reads_the_base_latched_at_qie_enable()
    {
        var rig = new VtdRig();
        rig.W64(VtdRegister.Iqa, 0x5000 | 1);
        Assert.Equal(1UL, rig.R64(VtdRegister.Iqa)); // base 0 until QI is enabled
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Qie);
        Assert.Equal(0x5001UL, rig.R64(VtdRegister.Iqa));
    }

    [Fact]
    public void Fsts_pfo_is_write_one_to_clear_and_ppf_is_read_only()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.Dma(0x0100, 0x1000); // root not present: records a fault
        rig.Dma(0x0200, 0x1000); // different SID, record still valid: PFO
        Assert.Equal(VtdFsts.Pfo | VtdFsts.Ppf, rig.R32(VtdRegister.Fsts) & 0xFF);
        rig.W32(VtdRegister.Fsts, VtdFsts.Ppf);
        Assert.Equal(VtdFsts.Pfo | VtdFsts.Ppf, rig.R32(VtdRegister.Fsts) & 0xFF); // PPF is RO, PFO needs a 1
        rig.W32(VtdRegister.Fsts, VtdFsts.Pfo);
        Assert.Equal(VtdFsts.Ppf, rig.R32(VtdRegister.Fsts) & 0xFF);
        rig.W64(0x228, 1UL << 63); // clear F
        Assert.Equal(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Ppf);
    }

    [Fact]
    public void Srtp_relatches_the_root_pointer_and_flushes_the_caches()
    {
        var rig = new VtdRig();
        rig.SetContext(0, 8, VtdRig.Pml4);
        rig.MapIova4Level(VtdRig.Target);
        rig.Enable(qi: false);
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(8, VtdRig.Iova).Address);
        rig.Pte(VtdRig.Pt, 0, VtdRig.TargetB | 3);
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(8, VtdRig.Iova).Address); // stale
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Te | VtdGlobal.Srtp);
        Assert.Equal(VtdRig.TargetB + 0x567, rig.Dma(8, VtdRig.Iova).Address);
    }

    [Fact]
    public void Write_buffer_flush_completes_at_once()
    {
        var rig = new VtdRig(VtdUnitConfig.Qemu48() with { RequiresWriteBufferFlush = true });
        Assert.True(VtdCap.Rwbf.IsSet(rig.R64(VtdRegister.Cap)));
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Wbf);
        Assert.Equal(0u, rig.R32(VtdRegister.Gsts) & VtdGlobal.Wbf);
        Assert.Equal(1, rig.Unit.WriteBufferFlushes);
    }

    [Fact]
    public void Config_validation_rejects_impossible_units()
    {
        var memory = new PhysicalMemory(40);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VtdUnit(memory, VtdUnitConfig.Qemu48() with { FaultRecordingRegisters = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => VtdCap.SagawBitForWidth(40));
    }
}
