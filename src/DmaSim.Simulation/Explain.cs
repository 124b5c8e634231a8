using DmaSim.Checking;
using DmaSim.Kernel.Dma;
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
            if (d.Model is "pcie-root-port" or "pci-bridge" or "pcie-to-pci-bridge") continue;
            var decision = m.Events.Events.OfType<IommuDecisionEvent>().LastOrDefault(e => e.Device == d.Name);
            if (decision is not null)
                list.Add(new(d.Name, $"{d.Name}: {decision.Decision} because {decision.Rule}.", decision.Source));
            var coherent = m.Events.Events.OfType<DmaApiEvent>().FirstOrDefault(e => e.Device == d.Name && e.Call == "dma_alloc_coherent");
            if (coherent is not null)
            {
                var rule = d.DmaOps == "intel-iommu" ? p.IdentityCoherentAlloc : null;
                list.Add(new(d.Name,
                    $"{d.Name}: dma_alloc_coherent through {coherent.Ops} ({coherent.Detail}) returned DMA address {coherent.Dma?.ToString() ?? "none"} for a {d.CoherentDmaMaskBits}-bit coherent mask.",
                    rule?.Source ?? (d.DmaOps == "swiotlb" ? p.PassThroughDmaOps.Source : "arch/x86/include/asm/dma-mapping.h dma_alloc_coherent")));
            }
            var finding = m.Checker.Findings.FirstOrDefault(f => f.Device == d.Name && f.Outcome == d.Outcome && d.Outcome != Outcome.Ok);
            if (finding is not null)
                list.Add(new(d.Name, $"Outcome {OutcomeNames.Of(d.Outcome)}: {finding.Message}", "physical truth (DmaSim checker)"));
        }
        return list;
    }
}
