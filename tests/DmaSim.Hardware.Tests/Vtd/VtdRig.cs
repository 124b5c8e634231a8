using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;

namespace DmaSim.Hardware.Tests.Vtd;

/// <summary>
/// A unit plus memory, programmed with raw bit patterns the way the QEMU qtests and kvm-unit-tests do
/// (vtd-hardware.md §9.2 layout), independent of the driver code under test elsewhere.
/// </summary>
internal sealed class VtdRig
{
    // §9.2 guest-memory layout (qos-intel-iommu).
    public const ulong Root = 0x1000_0000;
    public const ulong Context = 0x1000_1000;
    public const ulong Pml4 = 0x1001_0000;
    public const ulong Pdpt = 0x1001_1000;
    public const ulong Pd = 0x1001_2000;
    public const ulong Pt = 0x1001_3000;
    public const ulong Queue = 0x1002_0000;
    public const ulong Target = 0x1010_0000;
    public const ulong TargetB = 0x1020_0000;
    public const ulong Iova = 0x1020_0567;
    public const ulong Status = 0x1003_0000;

    public VtdRig(VtdUnitConfig? config = null, int physBits = 40)
    {
        Clock = new SimClock();
        Events = new EventStream(Clock);
        Memory = new PhysicalMemory(physBits);
        Unit = new VtdUnit(Memory, config ?? VtdUnitConfig.Qemu48(), Events);
    }

    public SimClock Clock { get; }
    public EventStream Events { get; }
    public PhysicalMemory Memory { get; }
    public VtdUnit Unit { get; }
    private int _tail;

    public ulong R64(int off) => Unit.ReadRegister(off, 8);
    public uint R32(int off) => (uint)Unit.ReadRegister(off, 4);
    public void W64(int off, ulong v) => Unit.WriteRegister(off, v, 8);
    public void W32(int off, uint v) => Unit.WriteRegister(off, v, 4);

    public void SetRoot(int bus, ulong contextTable) => Memory.WriteU64(new PhysAddr(Root + (ulong)bus * 16), contextTable | 1);

    public void SetContextRaw(int bus, int devfn, ulong lo, ulong hi, ulong contextTable = Context)
    {
        SetRoot(bus, contextTable);
        Memory.WriteU64(new PhysAddr(contextTable + (ulong)devfn * 16), lo);
        Memory.WriteU64(new PhysAddr(contextTable + (ulong)devfn * 16 + 8), hi);
    }

    /// <summary>Translated context (TT = 0) with the given AW, DID and FPD.</summary>
    public void SetContext(int bus, int devfn, ulong slptptr, int aw = 2, ushort did = 0, bool fpd = false, int tt = 0) =>
        SetContextRaw(bus, devfn, slptptr | ((ulong)tt << 2) | (fpd ? 2UL : 0) | 1, ((ulong)did << 8) | (uint)aw);

    public void Pte(ulong table, int index, ulong value) => Memory.WriteU64(new PhysAddr(table + (ulong)index * 8), value);

    /// <summary>4-level chain for <see cref="Iova"/> (L4 0, L3 0, L2 0x81, L1 0) ending at <paramref name="leaf"/>.</summary>
    public void MapIova4Level(ulong leaf, ulong leafPerm = 3)
    {
        Pte(Pml4, 0, Pdpt | 3);
        Pte(Pdpt, 0, Pd | 3);
        Pte(Pd, 0x81, Pt | 3);
        Pte(Pt, 0, leaf | leafPerm);
    }

    /// <summary>§9.2 register sequence: RTADDR, SRTP, (IQA, QIE), FECTL 0, FEADDR, TE; each step asserted via GSTS.</summary>
    public void Enable(bool qi = true)
    {
        W64(VtdRegister.RtAddr, Root);
        W32(VtdRegister.Gcmd, VtdGlobal.Srtp);
        Assert.NotEqual(0u, R32(VtdRegister.Gsts) & VtdGlobal.Srtp);
        var cmd = VtdGlobal.Srtp;
        if (qi)
        {
            W64(VtdRegister.Iqa, Queue);
            W64(VtdRegister.Iqt, 0);
            cmd |= VtdGlobal.Qie;
            W32(VtdRegister.Gcmd, cmd);
            Assert.NotEqual(0u, R32(VtdRegister.Gsts) & VtdGlobal.Qie);
        }
        W32(VtdRegister.Fectl, 0);
        W32(VtdRegister.FeData, 0x4321);
        W32(VtdRegister.FeAddr, 0xFEE0_0000);
        W32(VtdRegister.Gcmd, cmd | VtdGlobal.Te);
        Assert.NotEqual(0u, R32(VtdRegister.Gsts) & VtdGlobal.Te);
    }

    /// <summary>Appends descriptors plus an SW wait descriptor and rings IQT; returns the status word afterwards.</summary>
    public uint SubmitQueued(params (ulong Lo, ulong Hi)[] descriptors)
    {
        foreach (var (lo, hi) in descriptors) PutDescriptor(lo, hi);
        Memory.WriteU32(new PhysAddr(Status), 0);
        PutDescriptor(VtdInvDescriptor.WaitLow(0xC0FFEE, statusWrite: true, interrupt: false, fence: true), Status);
        W64(VtdRegister.Iqt, (ulong)_tail << 4);
        return Memory.ReadU32(new PhysAddr(Status));
    }

    public void PutDescriptor(ulong lo, ulong hi)
    {
        Memory.WriteU64(new PhysAddr(Queue + (ulong)_tail * 16), lo);
        Memory.WriteU64(new PhysAddr(Queue + (ulong)_tail * 16 + 8), hi);
        _tail = (_tail + 1) % 256;
    }

    public int Tail => _tail;

    public TranslationResult Dma(ushort sid, ulong iova, bool write = true) => Unit.Translate(sid, iova, write);

    public List<VtdInterruptEvent> Interrupts(VtdInterruptKind kind) =>
        Events.Events.OfType<VtdInterruptEvent>().Where(e => e.Kind == kind).ToList();

    /// <summary>High qword of fault record i.</summary>
    public ulong FrcdHigh(int i = 0) => R64(0x220 + 16 * i + 8);
    public ulong FrcdLow(int i = 0) => R64(0x220 + 16 * i);
}
