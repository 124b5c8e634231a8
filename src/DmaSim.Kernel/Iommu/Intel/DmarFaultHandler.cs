using System.Globalization;
using DmaSim.Hardware.Vtd;
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
    private DmarFaultWording? _wording;

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
        // The release's wording, decided once (the kernel's version does not change while it runs).
        var wording = _wording ??= DmarFaultWording.For(_k);
        var limited = wording.Style != FaultLogStyle.TwoLines;
        // 4.7 – 4.17 asked __ratelimit once per interrupt, for the status line and every record together.
        var printAll = !limited || wording.RatelimitPerLine || Ratelimit();
        var status = u.Hw.FaultStatus;
        if (status != 0 && printAll && (!limited || !wording.RatelimitPerLine || Ratelimit())) _k.Log(wording.Status(status));
        foreach (var f in u.Hw.HandleFaults())
        {
            Handled.Add(f);
            if (!printAll || (limited && wording.RatelimitPerLine && !Ratelimit())) continue;
            foreach (var line in wording.Record(f)) _k.Log(line);
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
