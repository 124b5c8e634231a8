using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Hardware.Platform;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Mm;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Devices;

/// <summary>
/// A device model and the driver that drives it: the driver side uses only the DMA API and CPU access
/// to its own buffers; the device side uses only its DMA engine on the fabric.
/// </summary>
public abstract class DeviceModel
{
    protected DeviceModel(SimMachine machine, DeviceConfig config)
    {
        M = machine;
        Config = config;
        Bdf = SimMachine.ToBdf(config.Bdf);
        Dev = machine.Kernel.Devices.First(d => d.Name == config.Name);
    }

    protected SimMachine M { get; }
    public DeviceConfig Config { get; }
    public Bdf Bdf { get; }
    public KernelDevice Dev { get; }
    protected DmaApi Api => M.Kernel.Dma;
    public string Name => Config.Name;

    /// <summary>A device model's built-in job (`run:`).</summary>
    public abstract void Run(RunStep step);

    /// <summary>
    /// The device's part of the default workload (a machine with no `workload:`): its driver's own pattern —
    /// coherent rings fetched through the descriptor lines, streaming maps, syncs, data and completion DMA.
    /// </summary>
    public abstract void RunDefault();

    /// <summary>What the firmware's DMA is, in the checker's words.</summary>
    protected virtual string FirmwareLabel => "RMRR (platform firmware)";

    /// <summary>Whether the firmware walks every RMRR naming the device (a management controller's several regions) or only the first.</summary>
    protected virtual bool FirmwareUsesEveryRmrr => true;

    private const int FirmwareChunk = 64;

    /// <summary>
    /// `firmware-dma: rmrr`: the platform firmware DMAs into the device's RMRRs with the device's requester id, alternating
    /// reads and writes, whatever the kernel made of those regions (the firmware wrote the RMRRs: it knows them).
    /// </summary>
    public void RunFirmwareDma(ulong count)
    {
        var rmrrs = M.DmarTable is null ? [] : ChipsetWiring.ReservedRegionsOf(M.DmarTable, M.Pci, Bdf);
        if (rmrrs.Count == 0)
        {
            Report(FindingKind.NoRmrr, Outcome.Ok, $"{Name}: firmware DMA needs an RMRR naming {Bdf}; the platform has none, so the firmware does no DMA");
            return;
        }
        var regions = FirmwareUsesEveryRmrr ? rmrrs.Count : 1;
        var buf = new byte[FirmwareChunk];
        for (ulong i = 0; i < count; i++)
        {
            var range = rmrrs[(int)(i % (ulong)regions)];
            var span = Math.Max(range.Size / FirmwareChunk, 1);
            var addr = range.Start.Value + ((i / (ulong)regions % span) * FirmwareChunk);
            var intent = new DmaIntent(FirmwareLabel, new PhysAddr(addr), IsControl: true, IsFirmware: true);
            if (i % 2 == 0) M.Fabric.Read(Bdf, new DmaAddr(addr), buf, DmaLines.Data, intent);
            else
            {
                M.Random.NextBytes(buf);
                M.Fabric.Write(Bdf, new DmaAddr(addr), buf, DmaLines.Data, intent);
            }
            Tick(1_000_000);
        }
    }

    protected void Report(FindingKind kind, Outcome outcome, string message) => M.Checker.Add(new Finding(kind, Name, outcome, message));

    /// <summary>A kernel buffer as a driver allocates it (kmalloc / __get_free_pages with GFP_KERNEL: Normal first).</summary>
    protected PageAllocation? AllocKernelBuffer(ulong size, string label) => AllocKernelBuffer(size, label, Gfp.Kernel);

    /// <summary>A kernel buffer from the zones <paramref name="gfp"/> allows (highest first, mm/page_alloc.c get_page_from_freelist).</summary>
    protected PageAllocation? AllocKernelBuffer(ulong size, string label, Gfp gfp)
    {
        var page = M.Kernel.K.Pages.AllocPages(PageAllocator.GetOrder(size), gfp, new FrameOwner(OwnerKind.KernelBuffer, Name, label));
        if (page is null) Report(FindingKind.Oom, Outcome.MapError, $"{Name}: out of memory allocating {Sizes.Format(size)} for {label}");
        return page;
    }

    protected void Relabel(PhysAddr start, ulong size, OwnerKind kind, string label) =>
        M.Owners.Assign(PhysRange.FromSize(start, Math.Max(size, 1)), new FrameOwner(kind, Name, label));

    /// <summary>
    /// Where the kernel believes a DMA address of this device lands: the CPU page for direct and
    /// translated mappings, the slot itself for a swiotlb bounce.
    /// </summary>
    protected PhysAddr KernelViewOf(DmaAddr dma, PhysAddr cpu) =>
        M.Kernel.K.Swiotlb is { } pool && pool.IsBounceAddress(dma.AsIdentity()) && Dev.Domain != DeviceDomain.Translated
            ? dma.AsIdentity()
            : cpu;

    protected DmaResult DeviceRead(DmaAddr addr, Span<byte> into, DmaLines lines, DmaIntent intent) => M.Fabric.Read(Bdf, addr, into, lines, intent);
    protected DmaResult DeviceWrite(DmaAddr addr, ReadOnlySpan<byte> from, DmaLines lines, DmaIntent intent) => M.Fabric.Write(Bdf, addr, from, lines, intent);

    /// <summary>Time passes between driver actions (lazy flush timers, firmware ticks).</summary>
    protected void Tick(ulong ns) => M.Clock.Advance(ns);
}
