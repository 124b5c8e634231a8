using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;

namespace DmaSim.Checking.Tests;

/// <summary>Classification of single transactions, written by hand, and the worst-outcome order.</summary>
public class PhysicalTruthCheckerTests
{
    private static readonly Bdf _dev = new(3, 0, 0);
    private static readonly FrameOwner _freeRam = FrameOwner.Free;

    private static DmaTransactionEvent Tx(bool write, ulong issued, ulong driven, ulong phys, DmaIntent? intent, FrameOwner owner,
        DmaLines lines = DmaLines.Data, int lineBits = 64, bool faulted = false, string? faultText = null, string? remapper = null) =>
        new("smartarray", _dev, _dev, lines, lineBits, write, new DmaAddr(issued), 64,
            faulted ? [] : [new DmaSegment(issued, driven, new PhysAddr(phys), 64, owner)],
            faulted, faulted ? (byte)5 : (byte)0, faultText, remapper, intent);

    [Fact]
    public void A_truncated_descriptor_read_is_a_stall_naming_both_addresses_and_the_owner()
    {
        var c = new PhysicalTruthChecker();
        var ring = new DmaIntent("command ring slot 1", new PhysAddr(0x23fc04040), IsControl: true);
        c.Observe(Tx(false, 0x23fc04040, 0x3fc04040, 0x3fc04040, ring, _freeRam, DmaLines.Descriptor, 32));
        var f = Assert.Single(c.Findings);
        Assert.Equal(Outcome.Stall, f.Outcome);
        Assert.Equal(FindingKind.StrayControlRead, f.Kind);
        Assert.Equal(Outcome.Stall, c.Worst["smartarray"]);
        Assert.Contains("0x23fc04040", f.Message, StringComparison.Ordinal);
        Assert.Contains("0x3fc04040", f.Message, StringComparison.Ordinal);
        Assert.Contains("32 descriptor address lines", f.Message, StringComparison.Ordinal);
        Assert.Contains("free RAM", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stray_data_write_is_corruption_naming_the_owner()
    {
        var c = new PhysicalTruthChecker();
        var victim = new FrameOwner(OwnerKind.KernelBuffer, "nic", "rx#3");
        c.Observe(Tx(true, 0x180000000, 0x80000000, 0x80000000, new DmaIntent("buf", new PhysAddr(0x180000000), false), victim, lineBits: 32));
        var f = Assert.Single(c.Findings);
        Assert.Equal(Outcome.Corruption, f.Outcome);
        Assert.Equal(FindingKind.StrayWrite, f.Kind);
        Assert.Contains("kernel buffer rx#3 of nic", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_correct_dma_is_no_finding_and_a_dma_without_intent_is_not_judged()
    {
        var c = new PhysicalTruthChecker();
        c.Observe(Tx(true, 0x1000, 0x1000, 0x1000, new DmaIntent("buf", new PhysAddr(0x1000), false), _freeRam));
        c.Observe(Tx(true, 0x2000, 0x2000, 0x9000, null, _freeRam));
        Assert.Empty(c.Findings);
        Assert.False(c.Worst.ContainsKey("smartarray"));
        Assert.Equal(2, c.Transactions);
    }

    [Fact]
    public void A_remapped_write_that_lands_where_the_buffer_is_is_ok()
    {
        var c = new PhysicalTruthChecker();
        c.Observe(Tx(true, 0xfffff000, 0xfffff000, 0x234567000, new DmaIntent("buf", new PhysAddr(0x234567000), false), _freeRam, remapper: "dmar0"));
        Assert.Empty(c.Findings);
    }

    [Fact]
    public void A_blocked_dma_is_a_fault_and_a_blocked_firmware_dma_a_firmware_fault()
    {
        var c = new PhysicalTruthChecker();
        c.Observe(Tx(true, 0xdead000, 0, 0, new DmaIntent("buf", new PhysAddr(0x1000), false), _freeRam, faulted: true, faultText: "PTE Write access is not set", remapper: "dmar0"));
        var fault = Assert.Single(c.Findings);
        Assert.Equal(Outcome.Fault, fault.Outcome);
        Assert.Contains("dmar0", fault.Message, StringComparison.Ordinal);
        Assert.Contains("PTE Write access is not set", fault.Message, StringComparison.Ordinal);

        var fw = new PhysicalTruthChecker();
        fw.Observe(Tx(true, 0x7f5f0000, 0, 0, new DmaIntent("RMRR", new PhysAddr(0x7f5f0000), false, IsFirmware: true), _freeRam, faulted: true, faultText: "no context", remapper: "dmar0"));
        var f = Assert.Single(fw.Findings);
        Assert.Equal(Outcome.FirmwareFault, f.Outcome);
        Assert.Equal(FindingKind.FirmwareDmaBlocked, f.Kind);
    }

    [Fact]
    public void Worst_outcome_wins_in_contract_order()
    {
        Assert.True(Outcome.Ok < Outcome.MapError && Outcome.MapError < Outcome.Fault && Outcome.Fault < Outcome.Stall
            && Outcome.Stall < Outcome.Corruption && Outcome.Corruption < Outcome.FirmwareFault);
        var c = new PhysicalTruthChecker();
        c.Add(new Finding(FindingKind.Stall, "d", Outcome.Stall, "s"));
        c.Add(new Finding(FindingKind.Stall, "d", Outcome.MapError, "m"));
        Assert.Equal(Outcome.Stall, c.Worst["d"]);
        c.Add(new Finding(FindingKind.Stall, "d", Outcome.FirmwareFault, "f"));
        Assert.Equal(Outcome.FirmwareFault, c.Worst["d"]);
        c.Add(new Finding(FindingKind.Stall, "e", Outcome.Ok, "note"));
        Assert.Equal(Outcome.Ok, c.Worst["e"]);
    }

    [Fact]
    public void Findings_beyond_the_limit_are_counted_not_kept()
    {
        var c = new PhysicalTruthChecker { MaxFindingsPerDevice = 2 };
        for (var i = 0; i < 5; i++) c.Add(new Finding(FindingKind.Stall, "d", Outcome.Corruption, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(2, c.Findings.Count);
        Assert.Equal(5, c.CountFor("d"));
    }

    [Fact]
    public void A_panic_is_the_worst_outcome()
    {
        var c = new PhysicalTruthChecker();
        c.Add(new Finding(FindingKind.KernelPanic, "d", Outcome.Panic, "Kernel panic - not syncing"));
        c.Add(new Finding(FindingKind.FirmwareDmaBlocked, "d", Outcome.FirmwareFault, "later"));
        Assert.Equal(Outcome.Panic, c.Worst["d"]);
    }
}
