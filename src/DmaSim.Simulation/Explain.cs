using DmaSim.Checking;
using DmaSim.Core;
using DmaSim.Scenarios;
using DmaSim.Simulation.Machine;

namespace DmaSim.Simulation;

/// <summary>
/// Turns a run's events into two or three sentences per device: what the kernel decided for it, the
/// rule (and its source) behind that decision, and what the hardware then did.
/// </summary>
public static class Explain
{
    internal static IReadOnlyList<Explanation> For(SimMachine m, RunTally tally, IReadOnlyList<DeviceResult> devices)
    {
        var list = new List<Explanation>();
        var p = m.Profile;
        var (decisions, coherents, findings) = (tally.LastDecision, tally.FirstCoherent, FindingsByDevice(m));
        foreach (var d in devices)
        {
            if (Vocabulary.IsBridge(d.Model)) continue;
            if (DriverLine(m, d) is { } driverLine) list.Add(driverLine);
            if (decisions.GetValueOrDefault(d.Name) is { } decision)
                list.Add(new(d.Name, $"{d.Name}: {decision.Decision} because {decision.Rule}.", decision.Source));
            if (coherents.GetValueOrDefault(d.Name) is { } coherent)
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
            var finding = d.Outcome == Outcome.Ok ? null : findings.GetValueOrDefault(d.Name)?.Find(f => f.Outcome == d.Outcome);
            if (finding is not null)
                list.Add(new(d.Name, $"Outcome {d.OutcomeName}: {finding.Message}", "physical truth (DmaSim checker)"));
        }
        return list;
    }

    /// <summary>The run's findings per device, in order (one pass; a search per device was quadratic on imported machines).</summary>
    private static Dictionary<string, List<Finding>> FindingsByDevice(SimMachine m)
    {
        var findings = new Dictionary<string, List<Finding>>(StringComparer.Ordinal);
        foreach (var f in m.Checker.Findings)
        {
            if (!findings.TryGetValue(f.Device, out var mine)) findings[f.Device] = mine = [];
            mine.Add(f);
        }
        return findings;
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
        // A chip-table driver (i915) names the chip its masks came from, or says the chip is unknown.
        var chip = ScenarioRunner.ChipMasks(m, e, m.Scenario.Platform.Devices.First(x => x.Name == d.Name).PciId).Chip is { } c ? $"; {c}" : "";
        return new(d.Name, $"{d.Name}: driver {e.Name} sets {d.DmaMaskBits}/{d.CoherentDmaMaskBits}{how}{chip} ({e.Condition}).", $"{e.SourcePath}{(e.Function is null ? "" : " " + e.Function)}");
    }
}
