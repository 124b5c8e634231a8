using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>
/// Turns a run's events into two or three sentences per device: what the kernel decided for it, the
/// rule (and its source) behind that decision, and what the hardware then did.
/// </summary>
public static class Explain
{
    public static IReadOnlyList<Explanation> For(SimMachine m, IReadOnlyList<DeviceResult> devices)
    {
        var list = new List<Explanation>();
        var p = m.Profile;
        foreach (var d in devices)
        {
            if (Vocabulary.IsBridge(d.Model)) continue;
            if (DriverLine(m, d) is { } driverLine) list.Add(driverLine);
            var decision = m.Events.Events.OfType<IommuDecisionEvent>().LastOrDefault(e => e.Device == d.Name);
            if (decision is not null)
                list.Add(new(d.Name, $"{d.Name}: {decision.Decision} because {decision.Rule}.", decision.Source));
            var coherent = m.Events.Events.OfType<DmaApiEvent>().FirstOrDefault(e => e.Device == d.Name && e.Call == "dma_alloc_coherent");
            if (coherent is not null)
            {
                var source = coherent.Ops switch
                {
                    "intel_dma_ops" when d.Domain == DeviceDomain.Translated => p.CoherentIovaLimit.Source,
                    "intel_dma_ops" => p.IdentityCoherentAlloc.Source,
                    "iommu_dma_ops" => "drivers/iommu/dma-iommu.c iommu_dma_alloc",
                    "dma-direct" => "kernel/dma/direct.c dma_direct_alloc",
                    _ => "arch/x86/kernel/pci-dma.c dma_generic_alloc_coherent (via " + coherent.Ops + ")",
                };
                list.Add(new(d.Name,
                    $"{d.Name}: dma_alloc_coherent through {coherent.Ops} ({coherent.Detail}) returned DMA address {coherent.Dma?.ToString() ?? "none"} for a {d.CoherentDmaMaskBits}-bit coherent mask.",
                    source));
            }
            var finding = m.Checker.Findings.FirstOrDefault(f => f.Device == d.Name && f.Outcome == d.Outcome && d.Outcome != Outcome.Ok);
            if (finding is not null)
                list.Add(new(d.Name, $"Outcome {d.OutcomeName}: {finding.Message}", "physical truth (DmaSim checker)"));
        }
        return list;
    }

    /// <summary>Where the device's masks came from: its catalogue driver (and the rule it applied), or the PCI defaults.</summary>
    private static Explanation? DriverLine(SimMachine m, DeviceResult d)
    {
        if (m.Scenario.DriverFor(d.Name) is { } own && (own.DmaMaskBits is not null || own.CoherentDmaMaskBits is not null)) return null;
        if (d.Driver is null || !DriverCatalogue.TryGet(d.Driver, out var e))
            return new(d.Name, $"{d.Name}: no driver from the catalogue: the PCI core's default masks {d.DmaMaskBits}/{d.CoherentDmaMaskBits} stay.", "drivers/pci/probe.c pci_setup_device");
        var how = e.Rule == DriverMaskRule.RequiredMask
            ? d.DmaMaskBits == 32 ? " — dma_get_required_mask() said 32 bits suffice" : " — dma_get_required_mask() exceeds 32 bits"
            : "";
        return new(d.Name, $"{d.Name}: driver {e.Name} sets {d.DmaMaskBits}/{d.CoherentDmaMaskBits}{how} ({e.Condition}).", $"{e.SourcePath}{(e.Function is null ? "" : " " + e.Function)}");
    }
}
