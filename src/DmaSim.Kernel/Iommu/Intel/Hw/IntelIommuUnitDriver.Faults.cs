using System.Globalization;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Kernel.Iommu.Intel.Hw;

/// <summary>One fault record as the driver's fault handler reads it.</summary>
public readonly record struct DmarFault(bool IsRead, VtdFaultReason Reason, ushort SourceId, ulong Address)
{
    public Bdf Device => Bdf.FromRequesterId(SourceId);

    /// <summary>The two log lines of Linux 2.6.32 <c>iommu_page_fault_do_one</c> (dmar.c).</summary>
    public IReadOnlyList<string> LinuxLog =>
    [
        string.Create(CultureInfo.InvariantCulture,
            $"DMAR:[{(IsRead ? "DMA Read" : "DMA Write")}] Request device [{SourceId >> 8:x2}:{(SourceId >> 3) & 0x1F:x2}.{SourceId & 7}] fault addr {Address:x} "),
        string.Create(CultureInfo.InvariantCulture,
            $"DMAR:[fault reason {(byte)Reason:d2}] {VtdFaultReasons.Describe(Reason)}"),
    ];
}

/// <summary>The primary fault handler.</summary>
public sealed partial class IntelIommuUnitDriver
{
    /// <summary>
    /// dmar_set_interrupt → dmar_msi_write (FEDATA, FEADDR, FEUADDR) and dmar_msi_unmask (FECTL = 0):
    /// from here on the unit signals recorded faults with an MSI, and a fault already pending is sent now.
    /// </summary>
    public void EnableFaultInterrupts(ulong msiAddress, uint msiData)
    {
        Write32(VtdRegister.FeData, msiData);
        Write32(VtdRegister.FeAddr, (uint)msiAddress);
        Write32(VtdRegister.FeUAddr, (uint)(msiAddress >> 32));
        Write32(VtdRegister.Fectl, 0);
    }

    /// <summary>FSTS as the fault handler reads it first (the value "DRHD: handling fault status reg %x" prints).</summary>
    public uint FaultStatus => (uint)Read32(VtdRegister.Fsts);

    /// <summary>
    /// Linux 2.6.32 <c>iommu_page_fault</c> (dmar.c): if FSTS.PPF, walk the records from FSTS.FRI while F is set —
    /// dword +12 for F/FR/T, dword +8 for the SID, qword +0 for the page address — clear each F by writing it
    /// back, wrap at CAP.NFR+1; then clear PFO if it is set. Returns the faults in the order handled.
    /// </summary>
    public IReadOnlyList<DmarFault> HandleFaults()
    {
        var faults = new List<DmarFault>();
        var status = (uint)Read32(VtdRegister.Fsts);
        if ((status & VtdFsts.Ppf) != 0)
        {
            var count = VtdUnitConfigSpec.FaultRecordCount(Cap);
            var index = (int)VtdFsts.Fri.Get(status);
            for (var n = 0; n < count; n++)
            {
                var record = VtdUnitConfigSpec.FrcdOffset(Cap, index);
                var high = (uint)Read32(record + 12);
                if ((high & 0x8000_0000) == 0) break;
                var reason = (VtdFaultReason)(high & 0xFF);
                var isRead = (high & 0x4000_0000) != 0;
                var sid = (ushort)(Read32(record + 8) & 0xFFFF);
                var address = Read64(record) & ~0xFFFUL;
                Write32(record + 12, 0x8000_0000);
                faults.Add(new DmarFault(isRead, reason, sid, address));
                index = (index + 1) % count;
            }
        }
        if ((Read32(VtdRegister.Fsts) & VtdFsts.Pfo) != 0) Write32(VtdRegister.Fsts, VtdFsts.Pfo);
        return faults;
    }
}
