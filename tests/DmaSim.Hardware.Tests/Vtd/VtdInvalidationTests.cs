using DmaSim.Core;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>
/// IOTLB and context-cache invalidation: the IOTLB-invalidation qtest (§9.3) through registers and through
/// the queue, QI errors (§9.6.9), IOTLB capacity (§9.6.10).
/// </summary>
public class VtdInvalidationTests
{
    private const ushort Sid = 0x0010;
    private const ushort Did = 5;

    private static VtdRig Mapped(bool qi)
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.MapIova4Level(VtdRig.Target);
        rig.Enable(qi);
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(Sid, VtdRig.Iova).Address); // populates the IOTLB
        rig.Pte(VtdRig.Pt, 0, VtdRig.TargetB | 3);                             // rewrite without invalidation
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(Sid, VtdRig.Iova).Address); // stale: the mismatch case
        return rig;
    }

    public static TheoryData<VtdInvalidationGranularity> Granularities => new()
    {
        VtdInvalidationGranularity.Global, VtdInvalidationGranularity.Domain, VtdInvalidationGranularity.DeviceOrPage,
    };

    [Theory]
    [MemberData(nameof(Granularities))]
    public void Register_invalidation_removes_the_stale_translation(VtdInvalidationGranularity g)
    {
        var rig = Mapped(qi: false);
        if (g == VtdInvalidationGranularity.DeviceOrPage) rig.W64(0xF0, VtdRig.Iova & ~0xFFFUL);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, (ulong)g) | VtdIotlbReg.Did.Set(0, Did));
        var reg = rig.R64(0xF8);
        Assert.False(VtdIotlbReg.Ivt.IsSet(reg));
        Assert.Equal((ulong)g, VtdIotlbReg.Iaig.Get(reg));
        Assert.Equal(VtdRig.TargetB + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
    }

    [Theory]
    [MemberData(nameof(Granularities))]
    public void Queued_invalidation_removes_the_stale_translation(VtdInvalidationGranularity g)
    {
        var rig = Mapped(qi: true);
        var hi = g == VtdInvalidationGranularity.DeviceOrPage ? VtdInvDescriptor.IotlbHigh(VtdRig.Iova, 0) : 0;
        Assert.Equal(0xC0FFEEu, rig.SubmitQueued((VtdInvDescriptor.IotlbLow(g, Did), hi)));
        Assert.Equal((ulong)rig.Tail << 4, rig.R64(VtdRegister.Iqh));
        Assert.Equal(VtdRig.TargetB + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
    }

    [Fact]
    public void Invalidating_another_domain_leaves_the_stale_entry()
    {
        var rig = Mapped(qi: true);
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, Did + 1), 0));
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
    }

    [Fact]
    public void Page_selective_invalidation_of_one_page_keeps_its_neighbour_stale()
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.MapIova4Level(VtdRig.Target);
        rig.Pte(VtdRig.Pt, 1, 0x1030_0000 | 3);
        rig.Enable();
        rig.Dma(Sid, VtdRig.Iova);
        rig.Dma(Sid, VtdRig.Iova + 0x1000);
        rig.Pte(VtdRig.Pt, 0, VtdRig.TargetB | 3);
        rig.Pte(VtdRig.Pt, 1, VtdRig.TargetB | 3);
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.DeviceOrPage, Did), VtdInvDescriptor.IotlbHigh(VtdRig.Iova, 0)));
        Assert.Equal(VtdRig.TargetB + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
        Assert.Equal(0x1030_0567UL, rig.Dma(Sid, VtdRig.Iova + 0x1000).Address);
        // An address mask of 1 covers both pages.
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.DeviceOrPage, Did), VtdInvDescriptor.IotlbHigh(VtdRig.Iova, 1)));
        Assert.Equal(VtdRig.TargetB + 0x567, rig.Dma(Sid, VtdRig.Iova + 0x1000).Address);
    }

    [Fact]
    public void Psi_inside_a_superpage_drops_the_large_entry()
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.Pte(VtdRig.Pml4, 0, VtdRig.Pdpt | 3);
        rig.Pte(VtdRig.Pdpt, 0, VtdRig.Pd | 3);
        rig.Pte(VtdRig.Pd, 1, 0x4000_0000 | 0x80 | 3);
        rig.Enable(qi: false);
        rig.Dma(Sid, 0x20_0000);
        rig.Pte(VtdRig.Pd, 1, 0x6000_0000 | 0x80 | 3);
        rig.W64(0xF0, 0x2F_F000);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, 3) | VtdIotlbReg.Did.Set(0, Did));
        Assert.Equal(0x6000_0010UL, rig.Dma(Sid, 0x20_0010).Address);
    }

    [Fact]
    public void Psi_with_a_mask_above_mamv_is_refused_with_iaig_0()
    {
        var rig = Mapped(qi: false);
        rig.W64(0xF0, 19);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, 3) | VtdIotlbReg.Did.Set(0, Did));
        Assert.Equal(0UL, VtdIotlbReg.Iaig.Get(rig.R64(0xF8)));
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
    }

    [Fact]
    public void Register_invalidation_is_refused_while_queued_invalidation_is_on()
    {
        var rig = Mapped(qi: true);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, 1));
        Assert.True(VtdIotlbReg.Ivt.IsSet(rig.R64(0xF8)));
        rig.W64(VtdRegister.Ccmd, VtdCcmd.Icc.Mask | VtdCcmd.Cirg.Set(0, 1));
        Assert.True(VtdCcmd.Icc.IsSet(rig.R64(VtdRegister.Ccmd)));
        Assert.Equal(VtdRig.Target + 0x567, rig.Dma(Sid, VtdRig.Iova).Address);
        Assert.Equal(2, rig.Unit.ProgrammingErrors);
    }

    [Fact]
    public void Context_change_without_context_invalidation_keeps_using_the_cached_entry()
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.MapIova4Level(VtdRig.Target);
        rig.Enable(qi: false);
        Assert.True(rig.Dma(Sid, VtdRig.Iova).IsSuccess);
        // Switch the device to pass-through, flush only the IOTLB: the cached context still translates.
        rig.SetContextRaw(0, Sid, 1 | (2 << 2), 2);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, 1));
        Assert.Equal(TranslationOutcome.Translated, rig.Dma(Sid, VtdRig.Iova).Outcome);
        Assert.Equal(1, rig.Unit.ContextCacheHits);
        // Device-selective context invalidation through CCMD: CAIG reports 3, the new entry is used.
        rig.W64(VtdRegister.Ccmd, VtdCcmd.Icc.Mask | VtdCcmd.Cirg.Set(0, 3) | VtdCcmd.Sid.Set(0, Sid));
        var ccmd = rig.R64(VtdRegister.Ccmd);
        Assert.False(VtdCcmd.Icc.IsSet(ccmd));
        Assert.Equal(3UL, VtdCcmd.Caig.Get(ccmd));
        // The IOTLB is looked up before the context (QEMU vtd_do_iommu_translate), so the entry re-filled above
        // still answers until the IOTLB is flushed too, as Linux always does after a context flush.
        Assert.Equal(TranslationOutcome.Translated, rig.Dma(Sid, VtdRig.Iova).Outcome);
        rig.W64(0xF8, VtdIotlbReg.Ivt.Mask | VtdIotlbReg.Iirg.Set(0, 1));
        Assert.Equal(TranslationOutcome.PassThrough, rig.Dma(Sid, VtdRig.Iova).Outcome);
    }

    [Fact]
    public void Domain_context_invalidation_is_performed_and_reported_as_global()
    {
        var rig = new VtdRig();
        rig.Enable(qi: false);
        rig.W64(VtdRegister.Ccmd, VtdCcmd.Icc.Mask | VtdCcmd.Cirg.Set(0, 2) | 7);
        Assert.Equal(1UL, VtdCcmd.Caig.Get(rig.R64(VtdRegister.Ccmd)));
        Assert.Equal(0UL, VtdCcmd.Sid.Get(rig.R64(VtdRegister.Ccmd))); // SID/FM are write-only
    }

    [Fact]
    public void Queued_context_invalidation_for_a_device_takes_effect()
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.MapIova4Level(VtdRig.Target);
        rig.Enable();
        rig.Dma(Sid, VtdRig.Iova);
        rig.SetContextRaw(0, Sid, 0, 0);
        rig.SubmitQueued(
            (VtdInvDescriptor.ContextCacheLow(VtdInvalidationGranularity.DeviceOrPage, Did, Sid), 0),
            (VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, Did), 0));
        Assert.Equal(VtdFaultReason.ContextEntryNotPresent, rig.Dma(Sid, VtdRig.Iova).FaultReason);
    }

    /// <summary>
    /// The context cache keeps the decoded entry (VT-d 6.1; QEMU vtd_dev_to_context_entry fills it on a miss):
    /// a new domain id written into the context entry is not seen until a context-cache invalidation; the
    /// IOTLB entries refilled in between carry the cached one.
    /// </summary>
    [Fact]
    public void A_changed_domain_id_is_seen_only_after_a_queued_global_context_invalidation()
    {
        const ushort newDid = 9;
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.MapIova4Level(VtdRig.Target);
        rig.Enable();
        Assert.True(rig.Dma(Sid, VtdRig.Iova).IsSuccess);
        rig.SetContext(0, Sid, VtdRig.Pml4, did: newDid);
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Global, 0), 0));
        Assert.False(rig.Dma(Sid, VtdRig.Iova).IotlbHit); // refilled from the cached context: domain 5
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, Did), 0));
        Assert.False(rig.Dma(Sid, VtdRig.Iova).IotlbHit); // the domain-5 flush removed it

        rig.SubmitQueued(
            (VtdInvDescriptor.ContextCacheLow(VtdInvalidationGranularity.Global, 0, 0), 0),
            (VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Global, 0), 0));
        var missesBefore = rig.Unit.ContextCacheMisses;
        Assert.False(rig.Dma(Sid, VtdRig.Iova).IotlbHit);
        Assert.Equal(missesBefore + 1, rig.Unit.ContextCacheMisses); // the entry is read again
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, Did), 0));
        Assert.True(rig.Dma(Sid, VtdRig.Iova).IotlbHit); // now in domain 9: a domain-5 flush leaves it
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, newDid), 0));
        Assert.False(rig.Dma(Sid, VtdRig.Iova).IotlbHit);
    }

    [Fact]
    public void Tail_beyond_the_queue_sets_iqe()
    {
        var rig = new VtdRig();
        rig.W64(VtdRegister.Iqa, VtdRig.Queue); // QS = 0: 256 entries
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Qie);
        rig.W32(VtdRegister.Fectl, 0);
        rig.W64(VtdRegister.Iqt, 256UL << 4 & 0x7FFF0);
        Assert.NotEqual(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Iqe);
        Assert.Single(rig.Interrupts(VtdInterruptKind.Fault));
    }

    [Fact]
    public void A_wait_descriptor_without_sw_or_if_sets_iqe_and_iqh_stays_on_it()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.PutDescriptor(VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Global), 0);
        rig.PutDescriptor((ulong)VtdInvDescriptorType.Wait, 0);
        rig.W64(VtdRegister.Iqt, (ulong)rig.Tail << 4);
        Assert.NotEqual(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Iqe);
        Assert.Equal(1UL << 4, rig.R64(VtdRegister.Iqh));
        // Nothing runs until IQE is cleared.
        rig.PutDescriptor(VtdInvDescriptor.WaitLow(7, true, false, false), VtdRig.Status);
        rig.W64(VtdRegister.Iqt, (ulong)rig.Tail << 4);
        Assert.Equal(1UL << 4, rig.R64(VtdRegister.Iqh));
        Assert.Equal(0u, rig.Memory.ReadU32(new PhysAddr(VtdRig.Status)));
    }

    [Fact]
    public void An_if_wait_sets_iwc_and_sends_the_completion_interrupt()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.W32(VtdRegister.IeData, 0x77);
        rig.W32(VtdRegister.IeAddr, 0xFEE0_1000);
        rig.W32(VtdRegister.Iectl, 0);
        rig.PutDescriptor(VtdInvDescriptor.WaitLow(0, statusWrite: false, interrupt: true, fence: false), 0);
        rig.W64(VtdRegister.Iqt, (ulong)rig.Tail << 4);
        Assert.Equal(VtdIcs.Iwc, rig.R32(VtdRegister.Ics));
        var msi = Assert.Single(rig.Interrupts(VtdInterruptKind.InvalidationComplete));
        Assert.Equal((0xFEE0_1000UL, 0x77u), (msi.Address, msi.Data));
        rig.W32(VtdRegister.Ics, VtdIcs.Iwc);
        Assert.Equal(0u, rig.R32(VtdRegister.Ics));
    }

    [Fact]
    public void Qie_can_be_disabled_only_after_a_drained_queue_ending_in_a_wait()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Global), 0));
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Te);
        Assert.Equal(0u, rig.R32(VtdRegister.Gsts) & VtdGlobal.Qie);
        Assert.Equal(0UL, rig.R64(VtdRegister.Iqh));

        var rig2 = new VtdRig();
        rig2.Enable();
        rig2.W32(VtdRegister.Gcmd, VtdGlobal.Te); // no wait descriptor processed yet
        Assert.NotEqual(0u, rig2.R32(VtdRegister.Gsts) & VtdGlobal.Qie);
    }

    [Fact]
    public void Iotlb_keeps_working_past_its_capacity()
    {
        var rig = new VtdRig();
        rig.SetContext(0, Sid, VtdRig.Pml4, did: Did);
        rig.Pte(VtdRig.Pml4, 0, VtdRig.Pdpt | 3);
        rig.Pte(VtdRig.Pdpt, 0, VtdRig.Pd | 3);
        for (var t = 0; t < 3; t++) rig.Pte(VtdRig.Pd, t, (VtdRig.Pt + (ulong)t * 0x1000) | 3);
        for (var i = 0; i < 1025; i++) rig.Pte(VtdRig.Pt + (ulong)(i / 512) * 0x1000, i % 512, (0x8000_0000UL + (ulong)i * 0x1000) | 3);
        rig.Enable();
        for (var i = 0; i < 1025; i++) Assert.Equal(0x8000_0000UL + (ulong)i * 0x1000 + 8, rig.Dma(Sid, (ulong)i * 0x1000 + 8).Address);
        Assert.Equal(1, rig.Unit.IotlbEntries); // flushed at 1024, then the 1025th inserted
        for (var i = 1024; i >= 0; i--) Assert.Equal(0x8000_0000UL + (ulong)i * 0x1000, rig.Dma(Sid, (ulong)i * 0x1000).Address);
        Assert.True(rig.Unit.IotlbHits >= 1);
    }

    [Fact]
    public void Invalidation_events_report_requested_and_performed_granularity()
    {
        var rig = Mapped(qi: true);
        rig.SubmitQueued((VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Domain, Did), 0));
        var e = Assert.Single(rig.Events.Events.OfType<VtdInvalidationEvent>());
        Assert.True(e.Queued);
        Assert.Equal(VtdCacheKind.Iotlb, e.Cache);
        Assert.Equal(VtdInvalidationGranularity.Domain, e.Performed);
        Assert.Equal(Did, e.DomainId);
    }
    [Fact]
    public void Descriptors_queued_before_qie_are_processed_at_enable()
    {
        // QEMU's Windows quirk: IQT != 0 when QIE is set processes the queue at once.
        var rig = new VtdRig();
        rig.W64(VtdRegister.Iqa, VtdRig.Queue);
        rig.PutDescriptor(VtdInvDescriptor.WaitLow(0x99, statusWrite: true, interrupt: false, fence: false), VtdRig.Status);
        rig.W64(VtdRegister.Iqt, 1UL << 4);
        Assert.Equal(0u, rig.Memory.ReadU32(new PhysAddr(VtdRig.Status)));
        rig.W32(VtdRegister.Gcmd, VtdGlobal.Qie);
        Assert.Equal(0x99u, rig.Memory.ReadU32(new PhysAddr(VtdRig.Status)));
        Assert.Equal(1UL << 4, rig.R64(VtdRegister.Iqh));
    }

    [Fact]
    public void A_masked_completion_interrupt_is_sent_when_unmasked()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.PutDescriptor(VtdInvDescriptor.WaitLow(0, statusWrite: false, interrupt: true, fence: false), 0);
        rig.W64(VtdRegister.Iqt, (ulong)rig.Tail << 4);
        Assert.Equal(VtdEventControl.Im | VtdEventControl.Ip, rig.R32(VtdRegister.Iectl));
        Assert.Empty(rig.Interrupts(VtdInterruptKind.InvalidationComplete));
        rig.W32(VtdRegister.Iectl, 0);
        Assert.Single(rig.Interrupts(VtdInterruptKind.InvalidationComplete));
        Assert.Equal(0u, rig.R32(VtdRegister.Iectl));
    }

    [Fact]
    public void Unknown_descriptor_types_and_reserved_bits_raise_iqe()
    {
        var rig = new VtdRig();
        rig.Enable();
        rig.PutDescriptor(VtdInvDescriptor.IotlbLow(VtdInvalidationGranularity.Global) | (1UL << 8), 0);
        rig.W64(VtdRegister.Iqt, (ulong)rig.Tail << 4);
        Assert.NotEqual(0u, rig.R32(VtdRegister.Fsts) & VtdFsts.Iqe);
        Assert.Equal(0UL, rig.R64(VtdRegister.Iqh));
        rig.W32(VtdRegister.Fsts, VtdFsts.Iqe);
        var rig2 = new VtdRig();
        rig2.Enable();
        rig2.PutDescriptor(9, 0);
        rig2.W64(VtdRegister.Iqt, (ulong)rig2.Tail << 4);
        Assert.NotEqual(0u, rig2.R32(VtdRegister.Fsts) & VtdFsts.Iqe);
    }
}
