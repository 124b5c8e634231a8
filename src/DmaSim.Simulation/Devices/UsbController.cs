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
    public UsbController(SimMachine machine, DeviceConfig config) : base(machine, config) { }

    public override void Run(RunStep step)
    {
        if (step.Run == RunJob.FirmwareDma) FirmwareDma(step.Count);
        else base.Run(step);
    }

    /// <summary>SMM handler traffic: alternate reads and writes walking through the controller's first RMRR.</summary>
    public void FirmwareDma(ulong count) => RunFirmwareDma(count);

    /// <summary>The SMM legacy USB emulation works in one region: the controller's first RMRR.</summary>
    protected override string FirmwareLabel => "RMRR (SMM legacy USB emulation)";

    protected override bool FirmwareUsesEveryRmrr => false;
}
