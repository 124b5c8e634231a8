using DmaSim.Core;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Vtd;

/// <summary>How the unit handled one DMA request.</summary>
public enum TranslationOutcome : byte
{
    /// <summary>Translation is disabled (GSTS.TES = 0): the address goes to memory unchanged (QEMU <c>vtd_iommu_translate</c>).</summary>
    Untranslated,
    /// <summary>Walked (or IOTLB-hit) through second-level tables.</summary>
    Translated,
    /// <summary>Context entry with TT = 2: output = input.</summary>
    PassThrough,
    /// <summary>Blocked; <see cref="TranslationResult.FaultReason"/> says why.</summary>
    Fault,
    /// <summary>The request hit 0xFEE0_0000–0xFEEF_FFFF: an interrupt request, never memory (vtd-hardware.md §3.3 step 2).</summary>
    InterruptRequest,
}

/// <summary>
/// The result of <see cref="VtdUnit.Translate(ushort, ulong, bool)"/>: a value, never null, allocation-free.
/// On success, <see cref="Address"/> is the physical address of the requested byte and the translation
/// holds for the whole aligned page of 2^<see cref="PageShift"/> bytes around it.
/// </summary>
public readonly struct TranslationResult
{
    private TranslationResult(TranslationOutcome outcome, ulong address, VtdFaultReason reason, bool read, bool write,
        byte pageShift, bool iotlbHit, FaultRecordOutcome recording)
    {
        Outcome = outcome;
        Address = address;
        FaultReason = reason;
        CanRead = read;
        CanWrite = write;
        PageShift = pageShift;
        IotlbHit = iotlbHit;
        Recording = recording;
    }

    public TranslationOutcome Outcome { get; }

    /// <summary>Output physical address (success only).</summary>
    public ulong Address { get; }

    public VtdFaultReason FaultReason { get; }

    /// <summary>Permissions of the translation (accumulated R/W down the walk).</summary>
    public bool CanRead { get; }
    public bool CanWrite { get; }

    /// <summary>12, 21 or 30: size of the page this result covers.</summary>
    public int PageShift { get; }

    /// <summary>The translation came from the IOTLB.</summary>
    public bool IotlbHit { get; }

    /// <summary>For a fault: what the recorder did with it.</summary>
    public FaultRecordOutcome Recording { get; }

    /// <summary>
    /// Bytes from <see cref="Address"/> to the end of the translated page: how much of a longer access this one
    /// result covers. A multi-page DMA translates again at input address + this many bytes.
    /// </summary>
    public ulong ContiguousBytes => IsSuccess ? (1UL << PageShift) - (Address & ((1UL << PageShift) - 1)) : 0;

    public bool IsSuccess => Outcome is TranslationOutcome.Untranslated or TranslationOutcome.Translated or TranslationOutcome.PassThrough;
    public bool IsFault => Outcome == TranslationOutcome.Fault;
    public PhysAddr PhysicalAddress => new(Address);

    internal static TranslationResult Untranslated(ulong address) =>
        new(TranslationOutcome.Untranslated, address, VtdFaultReason.Reserved, true, true, 12, false, default);

    internal static TranslationResult PassThrough(ulong address) =>
        new(TranslationOutcome.PassThrough, address, VtdFaultReason.Reserved, true, true, 12, false, default);

    internal static TranslationResult Translated(ulong address, bool read, bool write, int pageShift, bool iotlbHit) =>
        new(TranslationOutcome.Translated, address, VtdFaultReason.Reserved, read, write, (byte)pageShift, iotlbHit, default);

    internal static TranslationResult Interrupt(ulong address) =>
        new(TranslationOutcome.InterruptRequest, address, VtdFaultReason.Reserved, false, false, 12, false, default);

    internal static TranslationResult Faulted(VtdFaultReason reason, FaultRecordOutcome recording) =>
        new(TranslationOutcome.Fault, 0, reason, false, false, 12, false, recording);

    public override string ToString() => Outcome == TranslationOutcome.Fault
        ? $"fault {(byte)FaultReason:x} ({VtdFaultReasons.Describe(FaultReason)}), {Recording}"
        : $"{Outcome} -> {Hex.Format(Address)}";
}
