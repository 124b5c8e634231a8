using DmaSim.Core;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Tests.Iommu.Intel.Hw;

/// <summary>The driver's register programming, checked through the hardware model (linux-semantics.md §7).</summary>
public class IntelIommuUnitDriverTests
{
    private static readonly Bdf _dev = new(3, 0, 0);

    [Fact]
    public void Capabilities_are_decoded_from_cap_and_ecap()
    {
        var d = new HwRig().Driver;
        Assert.True(d.SupportsPassThrough);
        Assert.True(d.SupportsQueuedInvalidation);
        Assert.False(d.CachingMode);
        Assert.Equal(0x6, d.Sagaw);
        Assert.Equal(48, d.Mgaw);
        Assert.Equal(65536, d.NumDomains);
        Assert.Equal(18, d.MaxAddressMaskValue);
        Assert.Equal(3, d.SuperpageSupport);
        Assert.Equal(0x10u, d.Version);
    }

    [Theory]
    [InlineData(48, 0x6, 48, 2)] // 2.6.32 on a 48-bit unit: 4-level
    [InlineData(48, 0x2, 48, 1)] // 2.6.32 on QEMU aw-bits=39: 3-level
    [InlineData(57, 0x6, 48, 2)] // modern default width 57, unit without 5-level
    [InlineData(57, 0xE, 57, 3)] // modern on a 5-level unit
    public void Agaw_is_the_largest_supported_at_or_below_the_default_width(int defaultWidth, int sagaw, int mgaw, int expected)
    {
        var rig = new HwRig(VtdUnitConfig.Qemu48() with { Sagaw = sagaw, MaxGuestAddressWidth = mgaw },
            new IntelIommuDriverOptions { DefaultDomainAddressWidth = defaultWidth });
        Assert.Equal(expected, rig.Driver.Agaw);
        Assert.Equal(sagaw == 0xE ? 3 : sagaw == 0x6 ? 2 : 1, rig.Driver.MaxSagaw);
    }

    [Fact]
    public void Boot_programs_root_table_and_enables_translation()
    {
        var rig = new HwRig().Boot();
        Assert.Equal(rig.Driver.RootTable.Value, rig.Unit.ReadRegister(VtdRegister.RtAddr, 8));
        var gsts = (uint)rig.Unit.ReadRegister(VtdRegister.Gsts, 4);
        Assert.Equal(VtdGlobal.Te | VtdGlobal.Srtp | VtdGlobal.Qie, gsts);
        Assert.True(rig.Driver.TranslationEnabled);
        Assert.True(rig.Driver.QueuedInvalidationEnabled);
        rig.Driver.DisableTranslation();
        Assert.False(rig.Unit.TranslationEnabled);
    }

    [Fact]
    public void Without_ecap_qi_the_driver_uses_registers()
    {
        var rig = new HwRig(VtdUnitConfig.Qemu48() with { QueuedInvalidation = false }).Boot();
        Assert.Equal(InvalidationMethod.Register, rig.Driver.Invalidation);
        Assert.False(rig.Driver.QueuedInvalidationEnabled);
        Assert.Throws<InvalidOperationException>(() => new HwRig(VtdUnitConfig.Qemu48() with { QueuedInvalidation = false },
            new IntelIommuDriverOptions { Invalidation = InvalidationMethod.Queued }));
    }

    [Fact]
    public void Set_context_writes_a_real_entry_and_does_nothing_when_present()
    {
        var rig = new HwRig().Boot();
        var domain = rig.NewDomain(2);
        Assert.False(rig.Driver.ContextPresent(_dev));
        Assert.True(rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 7, 2, domain.Root));
        Assert.True(rig.Driver.ContextPresent(_dev));
        var (lo, hi) = rig.Driver.ReadContext(_dev);
        Assert.Equal(domain.Root.Value | 1, lo); // TT 0, FPD 0, P
        Assert.Equal((7UL << 8) | 2, hi);
        // A second call with another domain leaves the entry alone (domain_context_mapping_one).
        Assert.False(rig.Driver.SetContext(_dev, ContextTranslationType.PassThrough, 9, 3, default));
        Assert.Equal((lo, hi), rig.Driver.ReadContext(_dev));
    }

    [Fact]
    public void A_mapped_page_translates_through_the_hardware()
    {
        var rig = new HwRig().Boot();
        var domain = rig.NewDomain(rig.Driver.Agaw);
        Assert.Equal(MapStatus.Ok, domain.Map(new IovaPfn(0x100), new PhysPfn(0x7_0000), 1, read: true, write: true).Status);
        rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 1, rig.Driver.Agaw, domain.Root);
        var r = rig.Unit.Translate(_dev, new DmaAddr(0x10_0abc), isWrite: true);
        Assert.Equal(TranslationOutcome.Translated, r.Outcome);
        Assert.Equal(0x7000_0abcUL, r.Address);
    }

    [Fact]
    public void Pass_through_context_uses_max_sagaw_and_gives_identity()
    {
        var rig = new HwRig().Boot();
        rig.Driver.SetContext(_dev, ContextTranslationType.PassThrough, 2, rig.Driver.MaxSagaw, default);
        var r = rig.Unit.Translate(_dev, new DmaAddr(0x12_3456_7000), isWrite: false);
        Assert.Equal(TranslationOutcome.PassThrough, r.Outcome);
        Assert.Equal(0x12_3456_7000UL, r.Address);
    }

    [Fact]
    public void Clear_context_flushes_so_the_device_faults_at_once()
    {
        var rig = new HwRig().Boot();
        var domain = rig.NewDomain(2);
        domain.Map(new IovaPfn(0), new PhysPfn(0x5000), 1, true, true);
        rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 1, 2, domain.Root);
        Assert.True(rig.Unit.Translate(_dev, new DmaAddr(0x10), true).IsSuccess);
        Assert.True(rig.Driver.ClearContext(_dev));
        Assert.Equal(VtdFaultReason.ContextEntryNotPresent, rig.Unit.Translate(_dev, new DmaAddr(0x10), true).FaultReason);
    }

    [Theory]
    [InlineData(InvalidationMethod.Register)]
    [InlineData(InvalidationMethod.Queued)]
    public void Unmap_without_flush_is_stale_and_psi_makes_it_fault(InvalidationMethod method)
    {
        var rig = new HwRig(options: new IntelIommuDriverOptions { Invalidation = method }).Boot();
        var domain = rig.NewDomain(2);
        domain.Map(new IovaPfn(0x40), new PhysPfn(0x9000), 4, true, true);
        rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 3, 2, domain.Root);
        Assert.True(rig.Unit.Translate(_dev, new DmaAddr(0x41_000), true).IsSuccess);
        domain.Unmap(0x40, 4);
        Assert.Equal(0x9001_000UL, rig.Unit.Translate(_dev, new DmaAddr(0x41_000), true).Address); // stale IOTLB
        Assert.Equal(VtdInvalidationGranularity.DeviceOrPage, rig.Driver.FlushIotlbPages(3, 0x40, 4));
        Assert.True(rig.Unit.Translate(_dev, new DmaAddr(0x41_000), true).IsFault);
        Assert.Equal(method == InvalidationMethod.Queued, rig.Events.Events.OfType<VtdInvalidationEvent>().All(e => e.Queued));
    }

    [Fact]
    public void Psi_falls_back_to_domain_flush_above_mamv_or_without_psi()
    {
        var rig = new HwRig(VtdUnitConfig.Qemu48() with { MaxAddressMaskValue = 2 }).Boot();
        Assert.Equal(VtdInvalidationGranularity.Domain, rig.Driver.FlushIotlbPages(1, 0, 8));
        Assert.Equal(VtdInvalidationGranularity.DeviceOrPage, rig.Driver.FlushIotlbPages(1, 0, 3));
        Assert.Equal(VtdInvalidationGranularity.Domain, rig.Driver.FlushIotlbPsi(1, 0, 3));
        Assert.Equal(VtdInvalidationGranularity.DeviceOrPage, rig.Driver.FlushIotlbPsi(1, 0x4000, 2));
        var last = rig.Events.Events.OfType<VtdInvalidationEvent>().Last();
        Assert.Equal((0x4000UL, 2, VtdInvalidationGranularity.DeviceOrPage), (last.Address, last.AddressMask, last.Performed));
        var noPsi = new HwRig(VtdUnitConfig.Qemu48() with { PageSelectiveInvalidation = false }).Boot();
        Assert.Equal(VtdInvalidationGranularity.Domain, noPsi.Driver.FlushIotlbPages(1, 0, 1));
        Assert.Equal(1, noPsi.Driver.IotlbDomainFlushes);
    }

    [Fact]
    public void Unaligned_psi_of_2632_misses_a_page_that_the_modern_aligned_mask_covers()
    {
        // 2 pages at pfn 1: mask 1 on address pfn 1 covers pfns 0-1 in hardware, so pfn 2 stays stale.
        foreach (var modern in new[] { false, true })
        {
            var rig = new HwRig(options: new IntelIommuDriverOptions { AlignPageSelectiveRange = modern }).Boot();
            var domain = rig.NewDomain(2);
            domain.Map(new IovaPfn(1), new PhysPfn(0x100), 2, true, true);
            rig.Driver.SetContext(_dev, ContextTranslationType.MultiLevel, 4, 2, domain.Root);
            rig.Unit.Translate(_dev, new DmaAddr(0x2000), true);
            domain.Unmap(1, 2);
            rig.Driver.FlushIotlbPages(4, 1, 2);
            Assert.Equal(modern, rig.Unit.Translate(_dev, new DmaAddr(0x2000), true).IsFault);
        }
    }

    [Fact]
    public void Caching_mode_flushes_after_set_context_and_rwbf_flushes_the_write_buffer()
    {
        var cm = new HwRig(VtdUnitConfig.Qemu48() with { CachingMode = true }).Boot();
        var before = cm.Events.Events.OfType<VtdInvalidationEvent>().Count();
        cm.Driver.SetContext(_dev, ContextTranslationType.PassThrough, 5, 2, default);
        var flushes = cm.Events.Events.OfType<VtdInvalidationEvent>().Skip(before).ToList();
        Assert.Equal(2, flushes.Count);
        Assert.Equal(VtdCacheKind.ContextCache, flushes[0].Cache);
        Assert.Equal(_dev.RequesterId, flushes[0].SourceId);
        Assert.Equal((VtdCacheKind.Iotlb, (ushort)0), (flushes[1].Cache, flushes[1].DomainId));

        var rwbf = new HwRig(VtdUnitConfig.Qemu48() with { RequiresWriteBufferFlush = true }).Boot();
        rwbf.Driver.SetContext(_dev, ContextTranslationType.PassThrough, 5, 2, default);
        Assert.Equal(1, rwbf.Driver.WriteBufferFlushes);
        Assert.Equal(1, rwbf.Unit.WriteBufferFlushes);
        var plain = new HwRig().Boot();
        plain.Driver.SetContext(_dev, ContextTranslationType.PassThrough, 5, 2, default);
        Assert.Equal(0, plain.Unit.WriteBufferFlushes);
    }

    [Fact]
    public void Context_tables_are_allocated_per_bus_on_demand_and_freed()
    {
        var rig = new HwRig().Boot();
        var live = rig.Pages.Live;
        rig.Driver.SetContext(new Bdf(3, 0, 0), ContextTranslationType.PassThrough, 1, 2, default);
        rig.Driver.SetContext(new Bdf(3, 1, 0), ContextTranslationType.PassThrough, 1, 2, default);
        Assert.Equal(live + 1, rig.Pages.Live);
        rig.Driver.SetContext(new Bdf(4, 0, 0), ContextTranslationType.PassThrough, 1, 2, default);
        Assert.Equal(live + 2, rig.Pages.Live);
        rig.Driver.DisableTranslation();
        rig.Driver.FreeTables();
        Assert.Equal(3, rig.Pages.Freed.Count);
    }

    [Fact]
    public void A_register_flush_while_qi_is_on_is_refused_by_the_hardware()
    {
        // The hardware leaves ICC set; the driver's poll gives up like IOMMU_WAIT_OP.
        var rig = new HwRig().Boot();
        rig.Unit.WriteRegister(VtdRegister.Ccmd, VtdCcmd.Icc.Mask | VtdCcmd.Cirg.Set(0, 1), 8);
        Assert.True(VtdCcmd.Icc.IsSet(rig.Unit.ReadRegister(VtdRegister.Ccmd, 8)));
        Assert.Equal(1, rig.Unit.ProgrammingErrors);
    }
    [Fact]
    public void Fault_handler_reads_and_clears_records_and_logs_like_linux()
    {
        var rig = new HwRig(VtdUnitConfig.Qemu48() with { FaultRecordingRegisters = 2 }).Boot();
        rig.Unit.Translate(_dev, new DmaAddr(0x5123), isWrite: true);
        rig.Unit.Translate(new Bdf(4, 1, 2), new DmaAddr(0x9000), isWrite: false);
        rig.Unit.Translate(new Bdf(5, 0, 0), new DmaAddr(0x9000), isWrite: false); // both records valid: PFO
        Assert.NotEqual(0u, (uint)rig.Unit.ReadRegister(VtdRegister.Fsts, 4) & VtdFsts.Pfo);
        var faults = rig.Driver.HandleFaults();
        Assert.Equal(2, faults.Count);
        Assert.Equal(["DMAR:[DMA Write] Request device [03:00.0] fault addr 5000 ", "DMAR:[fault reason 01] Present bit in root entry is clear"], faults[0].LinuxLog);
        Assert.Equal(new DmarFault(true, VtdFaultReason.RootEntryNotPresent, new Bdf(4, 1, 2).RequesterId, 0x9000), faults[1]);
        Assert.Equal(0u, (uint)rig.Unit.ReadRegister(VtdRegister.Fsts, 4) & (VtdFsts.Pfo | VtdFsts.Ppf));
        Assert.Empty(rig.Driver.HandleFaults());
        // Recording resumes after the handler ran.
        Assert.Equal(FaultRecordOutcome.Recorded, rig.Unit.Translate(_dev, new DmaAddr(0x1000), true).Recording);
    }

    [Fact]
    public void Flush_after_map_is_a_psi_only_in_caching_mode()
    {
        var cm = new HwRig(VtdUnitConfig.Qemu48() with { CachingMode = true }).Boot();
        var before = cm.Events.Events.OfType<VtdInvalidationEvent>().Count();
        cm.Driver.FlushAfterMap(7, 0x10, 4);
        var e = Assert.Single(cm.Events.Events.OfType<VtdInvalidationEvent>().Skip(before));
        Assert.Equal((VtdInvalidationGranularity.DeviceOrPage, (ushort)0, 0x10000UL, 2), (e.Performed, e.DomainId, e.Address, e.AddressMask));

        var modern = new HwRig(VtdUnitConfig.Qemu48() with { CachingMode = true }, IntelIommuDriverOptions.For(ProfileCatalog.Linux61)).Boot();
        before = modern.Events.Events.OfType<VtdInvalidationEvent>().Count();
        modern.Driver.FlushAfterMap(7, 0x10, 4);
        Assert.Equal((ushort)7, Assert.Single(modern.Events.Events.OfType<VtdInvalidationEvent>().Skip(before)).DomainId);

        var plain = new HwRig().Boot();
        before = plain.Events.Events.OfType<VtdInvalidationEvent>().Count();
        plain.Driver.FlushAfterMap(7, 0x10, 4);
        Assert.Equal(before, plain.Events.Events.OfType<VtdInvalidationEvent>().Count());
    }
}
