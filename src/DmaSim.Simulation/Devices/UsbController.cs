using DmaSim.Core;
using DmaSim.Hardware.Platform;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation.Devices;

/// <summary>
/// An EHCI-like USB controller: the OS driver does I/O like any ring device, and the BIOS's SMM legacy
/// keyboard/mouse emulation keeps DMAing into the controller's RMRR with the controller's requester id,
/// before and after the OS driver takes over (the reason RMRRs exist; LKML seed thread: "crash in SMM
/// mode when their DMA goes AWOL").
/// </summary>
public sealed class UsbController : StorageController
{
    private const int FirmwareChunk = 64;

    public UsbController(SimMachine machine, DeviceConfig config) : base(machine, config) { }

    public override void Run(RunStep step)
    {
        if (step.Run == RunJob.FirmwareDma) FirmwareDma(step.Count);
        else base.Run(step);
    }

    /// <summary>SMM handler traffic: alternate reads and writes walking through the RMRR.</summary>
    public void FirmwareDma(ulong count)
    {
        // The SMM handler knows its own reserved region (the BIOS wrote the RMRR), whatever the kernel made of it.
        var rmrrs = M.DmarTable is null ? [] : ChipsetWiring.ReservedRegionsOf(M.DmarTable, M.Pci, Bdf);
        if (rmrrs.Count == 0)
        {
            Report(FindingKind.NoRmrr, Outcome.Ok, $"{Name}: firmware DMA needs an RMRR naming {Bdf}; the platform has none, so the firmware does no DMA");
            return;
        }
        var range = rmrrs[0];
        var span = Math.Max(range.Size / FirmwareChunk, 1);
        var buf = new byte[FirmwareChunk];
        for (ulong i = 0; i < count; i++)
        {
            var addr = range.Start.Value + ((i % span) * FirmwareChunk);
            var intent = new DmaIntent("RMRR (SMM legacy USB emulation)", new PhysAddr(addr), IsControl: true, IsFirmware: true);
            if (i % 2 == 0) M.Fabric.Read(Bdf, new DmaAddr(addr), buf, DmaLines.Data, intent);
            else
            {
                M.Random.NextBytes(buf);
                M.Fabric.Write(Bdf, new DmaAddr(addr), buf, DmaLines.Data, intent);
            }
            Tick(1_000_000);
        }
    }
}
