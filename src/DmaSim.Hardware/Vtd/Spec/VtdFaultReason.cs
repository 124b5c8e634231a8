namespace DmaSim.Hardware.Vtd.Spec;

/// <summary>
/// Fault reasons with the spec's numeric values (QEMU <c>VTDFaultReason</c>; Linux text from
/// <c>dma_remap_fault_reasons</c>; vtd-hardware.md §4.1). Only the legacy-mode DMA reasons are raised
/// by this model; the interrupt-remapping and scalable-mode codes are listed for decoding.
/// </summary>
public enum VtdFaultReason : byte
{
    /// <summary>"Software": never raised for DMA.</summary>
    Reserved = 0x0,
    RootEntryNotPresent = 0x1,
    ContextEntryNotPresent = 0x2,
    ContextEntryInvalid = 0x3,
    AddressBeyondMgaw = 0x4,
    WriteNotPermitted = 0x5,
    ReadNotPermitted = 0x6,
    PagingEntryInvalid = 0x7,
    RootTableInvalid = 0x8,
    ContextTableInvalid = 0x9,
    RootEntryReserved = 0xA,
    ContextEntryReserved = 0xB,
    PagingEntryReserved = 0xC,
    ContextEntryTranslationType = 0xD,
    InterruptAddress = 0xE,
    IrRequestReserved = 0x20,
    IrIndexOver = 0x21,
    IrEntryNotPresent = 0x22,
    IrRootInvalid = 0x23,
    IrEntryReserved = 0x24,
    IrCompatibilityBlocked = 0x25,
    IrSidCheckFailed = 0x26,
}

/// <summary>Properties of fault reasons.</summary>
public static class VtdFaultReasons
{
    /// <summary>
    /// "Qualified" faults are suppressed when the context entry has FPD = 1 (QEMU
    /// <c>vtd_qualified_faults</c>, vtd-hardware.md §4.2). 0x1, 0x8, 0x9, 0xA and 0xB are never suppressed.
    /// </summary>
    public static bool IsQualified(VtdFaultReason reason) => reason switch
    {
        VtdFaultReason.ContextEntryNotPresent or VtdFaultReason.ContextEntryInvalid or
        VtdFaultReason.AddressBeyondMgaw or VtdFaultReason.WriteNotPermitted or
        VtdFaultReason.ReadNotPermitted or VtdFaultReason.PagingEntryInvalid or
        VtdFaultReason.PagingEntryReserved or VtdFaultReason.ContextEntryTranslationType or
        VtdFaultReason.InterruptAddress => true,
        _ => false,
    };

    /// <summary>Linux's wording of a reason (<c>dmar_get_fault_reason</c>), for logs.</summary>
    public static string Describe(VtdFaultReason reason) => reason switch
    {
        VtdFaultReason.Reserved => "Software",
        VtdFaultReason.RootEntryNotPresent => "Present bit in root entry is clear",
        VtdFaultReason.ContextEntryNotPresent => "Present bit in context entry is clear",
        VtdFaultReason.ContextEntryInvalid => "Invalid context entry",
        VtdFaultReason.AddressBeyondMgaw => "Access beyond MGAW",
        VtdFaultReason.WriteNotPermitted => "PTE Write access is not set",
        VtdFaultReason.ReadNotPermitted => "PTE Read access is not set",
        VtdFaultReason.PagingEntryInvalid => "Next page table ptr is invalid",
        VtdFaultReason.RootTableInvalid => "Root table address invalid",
        VtdFaultReason.ContextTableInvalid => "Context table ptr is invalid",
        VtdFaultReason.RootEntryReserved => "non-zero reserved fields in RTP",
        VtdFaultReason.ContextEntryReserved => "non-zero reserved fields in CTP",
        VtdFaultReason.PagingEntryReserved => "non-zero reserved fields in PTE",
        VtdFaultReason.ContextEntryTranslationType => "PCE for translation request specifies blocking",
        VtdFaultReason.InterruptAddress => "Output address in the interrupt address range",
        _ => "Unknown",
    };
}
