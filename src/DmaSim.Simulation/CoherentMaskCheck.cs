using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>
/// The coherent-mask contract, checked at the call: dma_alloc_coherent must return memory the device can
/// address with its coherent mask (Documentation/core-api/dma-api.rst, dma_set_coherent_mask: "the mask
/// for consistent allocations"; kernel/dma/direct.c dma_coherent_ok, 6.1, retries lower zones rather than
/// break it). A handle above the mask is a kernel bug whatever happens next — 2.6.32-rc5's
/// intel_alloc_coherent clearing GFP_DMA32 for pass-through devices (drivers/pci/intel-iommu.c), 2.6.32's
/// coherent IOVA allocated against the streaming mask — so it is a finding on its own, before any DMA,
/// with the kernel's reason (the zone flags the front end passed, the zone the page came from, the era's
/// rule). Its outcome is what the silicon makes of it: `stall` when the device's descriptor address lines
/// (`descriptor-address-bits`) cannot drive the address, so every control fetch from that buffer lands
/// elsewhere; `ok` when they can (the driver's mask was narrower than its hardware).
/// </summary>
internal static class CoherentMaskCheck
{
    public static void Attach(SimMachine m) => m.Events.Subscribe<DmaCoherentAllocEvent>(e => Check(m, e.Call));

    private static void Check(SimMachine m, DmaApiEvent e)
    {
        if (e.Call != "dma_alloc_coherent" || !e.Ok || e.Dma is not { } dma || e.Size == 0) return;
        var dev = m.Kernel.Devices.FirstOrDefault(d => d.Name == e.Device);
        if (dev is null || dev.CoherentDmaMask == 0) return;
        var last = dma.Value + (e.Size - 1);
        if (last <= dev.CoherentDmaMask) return;
        var config = m.Scenario.Platform.Devices.First(d => d.Name == e.Device);
        var lines = config.DescriptorAddressBits;
        var reaches = last <= DmaMask.Bits(lines);
        var rule = dev.Domain == DeviceDomain.Translated ? m.Profile.CoherentIovaLimit.ToString() : m.Profile.IdentityCoherentAlloc.ToString();
        var harm = reaches
            ? $"its {lines} descriptor address lines still drive it, so this device copes; one built to its driver's mask would not"
            : $"its {lines} descriptor address lines cannot drive it: every fetch from this buffer lands elsewhere, so the rings built in it never work";
        m.Checker.Add(new Finding(FindingKind.CoherentAboveMask, e.Device, reaches ? Outcome.Ok : Outcome.Stall,
            $"{e.Device}: dma_alloc_coherent({Sizes.Format(e.Size)}) returned DMA address {dma} above the {DmaMask.Width(dev.CoherentDmaMask)}-bit coherent mask ({e.Ops} ops: {e.Detail}; rule {rule}); {harm}"));
    }
}
