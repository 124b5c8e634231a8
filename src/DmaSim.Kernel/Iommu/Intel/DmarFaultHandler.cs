using System.Globalization;
using DmaSim.Hardware.Vtd;
using DmaSim.Hardware.Vtd.Spec;
using DmaSim.Kernel.Iommu.Intel.Hw;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// The kernel's DMAR fault interrupt: init_dmars' dmar_set_interrupt unmasks each unit's fault event, and
/// dmar_fault (iommu_page_fault in 2.6.3x) reads FSTS, prints it, walks the fault records and clears them,
/// printing each one in the era's words (<see cref="KernelProfile.FaultLog"/>). An MSI the unit sends is
/// taken at the next point the simulated kernel runs (<see cref="Service"/>), not inside the DMA that faulted.
/// </summary>
public sealed class DmarFaultHandler
{
    /// <summary>The x86 MSI window (0xfee00000) with destination 0; the data is the vector the kernel chose.</summary>
    private const ulong MsiAddress = 0xfee00000;
    private const uint MsiVector = 0x41;

    // lib/ratelimit.c DEFAULT_RATELIMIT_INTERVAL (5 * HZ) and DEFAULT_RATELIMIT_BURST (10).
    private const ulong RatelimitIntervalNs = 5_000_000_000;
    private const int RatelimitBurst = 10;

    private readonly KernelContext _k;
    private readonly IReadOnlyList<DmarUnit> _units;
    private readonly HashSet<ulong> _pending = [];
    private ulong? _rateBegin;
    private int _ratePrinted;
    private int _rateMissed;

    public DmarFaultHandler(KernelContext kernel, IReadOnlyList<DmarUnit> units)
    {
        _k = kernel;
        _units = units;
        // A typed subscription: observing every event would make the stream build the invalidation
        // events the hot path skips when nobody wants them (EventStream.Wants).
        kernel.Events.Subscribe<VtdInterruptEvent>(irq =>
        {
            if (irq.Kind == VtdInterruptKind.Fault) _pending.Add(irq.UnitBase);
        });
    }

    /// <summary>Faults the handler has cleared, in order.</summary>
    public List<DmarFault> Handled { get; } = [];

    /// <summary>dmar_set_interrupt for every unit: program the MSI and unmask the fault event.</summary>
    public void EnableInterrupts()
    {
        foreach (var u in _units) u.Hw.EnableFaultInterrupts(MsiAddress, MsiVector);
    }

    /// <summary>Runs dmar_fault for every unit that raised its fault interrupt since the last call.</summary>
    public void Service()
    {
        if (_pending.Count == 0) return;
        foreach (var u in _units.Where(u => _pending.Contains(u.Drhd.RegisterBase)).ToList())
        {
            _pending.Remove(u.Drhd.RegisterBase);
            HandleOne(u);
        }
    }

    private void HandleOne(DmarUnit u)
    {
        var modern = _k.Profile.FaultLog.Value == FaultLogStyle.RatelimitedOneLine;
        var status = u.Hw.FaultStatus;
        if (status != 0 && (!modern || Ratelimit()))
            _k.Log((modern ? "DMAR: " : "") + string.Create(CultureInfo.InvariantCulture, $"DRHD: handling fault status reg {status:x}"));
        foreach (var f in u.Hw.HandleFaults())
        {
            Handled.Add(f);
            if (!modern)
            {
                foreach (var line in f.LinuxLog) _k.Log(line);
            }
            else if (Ratelimit())
            {
                _k.Log(string.Create(CultureInfo.InvariantCulture,
                    $"DMAR: [{(f.IsRead ? "DMA Read" : "DMA Write")} NO_PASID] Request device [{f.SourceId >> 8:x2}:{(f.SourceId >> 3) & 0x1F:x2}.{f.SourceId & 7}] fault addr 0x{f.Address:x} [fault reason 0x{(byte)f.Reason:x2}] {VtdFaultReasons.Describe(f.Reason)}"));
            }
        }
    }

    /// <summary>___ratelimit: at most <see cref="RatelimitBurst"/> messages per interval; the next interval reports what it dropped.</summary>
    private bool Ratelimit()
    {
        var now = _k.Clock.NowNs;
        _rateBegin ??= now;
        if (now > _rateBegin.Value + RatelimitIntervalNs)
        {
            if (_rateMissed > 0) _k.Log(string.Create(CultureInfo.InvariantCulture, $"dmar_fault: {_rateMissed} callbacks suppressed"));
            _rateBegin = now;
            _ratePrinted = 0;
            _rateMissed = 0;
        }
        if (_ratePrinted < RatelimitBurst)
        {
            _ratePrinted++;
            return true;
        }
        _rateMissed++;
        return false;
    }
}
