using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests;

/// <summary>
/// A device in pass-through overwrites the VT-d page-table pages of a translated device: the next walk
/// for that device reads what is really in memory — a reserved-bit fault or a translation to wherever the
/// garbage points — and the simulator never fails internally.
/// </summary>
public class TableOverwriteTests
{
    private static ScenarioBuilder Yaml => new ScenarioBuilder("table-overwrite", seed: 5).PhysicalAddressBits(36)
        .Usable(0, 0x9ffff).Reserved(0xa0000, 0xfffff).Usable(0x100000, 0x7ffffff)
        .Unit(passThrough: true)
        .Device("03:00.0", "attacker", "scripted", addressBits: 64)
        .Device("04:00.0", "victim", "scripted", addressBits: 64)
        .Kernel("linux-2.6.32", "swiotlb=4096 intel_iommu=on iommu=pt")
        .Driver("attacker", dmaMaskBits: 64)
        .Driver("victim", dmaMaskBits: 32);

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void The_next_walk_reads_the_garbage(ulong seed)
    {
        var s = SimRig.Parse(Yaml) with { Seed = seed };
        var m = SimRig.RunKeeping(s, ProfileCatalog.Linux2632);
        var script = new ScriptRunner(m);
        // The victim's 32-bit mask takes it out of si_domain: its first map builds a page table.
        script.Run(new MapStep("victim", StepDirection.FromDevice, "v", 4096, null, 0, MapFunction.MapSingle, true, 1, false, default), 0);
        Assert.Equal(DeviceDomain.Translated, m.Kernel.Devices.Single(d => d.Name == "victim").Domain);
        var tables = m.Owners.RunsIn(0, 0x7ffffff >> 12)
            .Where(r => r.Owner.Kind == OwnerKind.VtdTable && r.Owner.Label == "page table")
            .SelectMany(r => Enumerable.Range(0, (int)(r.Last - r.First + 1)).Select(i => (r.First + (ulong)i) << 12))
            .ToList();
        Assert.NotEmpty(tables);

        // The attacker (hardware pass-through) maps a buffer below the tables and writes past its end into each.
        const ulong buffer = 0xa0000;
        script.Run(new AllocBufferStep(null, 4096, "a", new PhysAddr(buffer), 1, false, default), 0);
        script.Run(new MapStep("attacker", StepDirection.FromDevice, "am", 4096, new BufferRef("a", false), 0, MapFunction.MapSingle, true, 1, false, default), 0);
        foreach (var table in tables)
            script.Run(new AccessStep(ScriptOp.DmaWrite, "attacker", new BufferRef("am", false), table - buffer, 4096, 1, false, default), 0);
        Assert.True(m.Checker.Saw("attacker", FindingKind.OutOfMapping));
        Assert.Contains(m.Checker.Findings, f => f.Device == "attacker" && f.Message.Contains("page table", StringComparison.Ordinal));

        script.Run(new AccessStep(ScriptOp.DmaWrite, "victim", new BufferRef("v", false), 0, 64, 1, false, default), 0);
        Assert.True(m.Checker.Saw("victim", FindingKind.IommuFault) || m.Checker.Saw("victim", FindingKind.StrayWrite),
            string.Join(" | ", m.Checker.Findings.Select(f => f.Message)));
        Assert.True(m.Checker.Worst["victim"] is Outcome.Fault or Outcome.Corruption);
    }
}
