using CsCheck;
using DmaSim.Core;
using DmaSim.Scenarios.Sweep;
using DmaSim.Simulation.Sweep;
using DmaSim.Testing;

namespace DmaSim.Simulation.Tests.Sweep;

/// <summary>Cells: numbering, zip, shards, and what a cell runs.</summary>
public sealed class SweepPlanTests
{
    private static string Seed(string name) => Path.Combine(SharedData.RepoRoot, "scenarios", "seed", name + ".yaml");

    internal static SweepPlan Plan(string axes, string seed = "smartarray-passthrough") =>
        SweepPlan.Create(SweepSpecLoader.Parse($"schema: dmasim-sweep/v1\nname: t\nbase: {Seed(seed)}\naxes:\n{axes}", "t.yaml"));

    private static string Texts(SweepCell c) => string.Join(" ", c.Values.Select(v => v.Value.Text));

    [Fact]
    public void Cells_are_the_cross_product_with_the_first_axis_outermost()
    {
        var plan = Plan("  profile: [linux-2.6.31, linux-3.0]\n  ram: [2GiB, 4GiB, 8GiB]\n");
        Assert.Equal(6, plan.CellCount);
        Assert.Equal(["linux-2.6.31 2GiB", "linux-2.6.31 4GiB", "linux-2.6.31 8GiB", "linux-3.0 2GiB", "linux-3.0 4GiB", "linux-3.0 8GiB"],
            Enumerable.Range(0, 6).Select(i => Texts(plan.Cell(i))));
    }

    [Fact]
    public void Zipped_axes_move_together()
    {
        var plan = Plan("  profile: [linux-2.6.31, linux-3.0]\n  zip:\n    cmdline: [a, b]\n    ram: [2GiB, 8GiB]\n");
        Assert.Equal(4, plan.CellCount);
        Assert.Equal(["linux-2.6.31 a 2GiB", "linux-2.6.31 b 8GiB", "linux-3.0 a 2GiB", "linux-3.0 b 8GiB"], Enumerable.Range(0, 4).Select(i => Texts(plan.Cell(i))));
    }

    [Fact]
    public void Shards_partition_the_cells() => Gen.Int[1, 9].Sample(n =>
    {
        var plan = Plan("  profile: all\n  ram: [2GiB, 8GiB, 64GiB]\n");
        var all = Enumerable.Range(0, n).SelectMany(i => plan.Shard(i, n)).Order().ToList();
        Assert.Equal(Enumerable.Range(0, plan.CellCount), all);
    }, iter: 20);

    // A fleet folder of four seed scenarios, the third of which does not load.
    private static SweepPlan FleetWithABrokenThirdMachine(string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, seed) in new[] { ("a", "smartarray-passthrough"), ("b", "bridge-alias"), ("d", "smartarray-4gib") })
            File.Copy(Seed(seed), Path.Combine(dir, name + ".yaml"), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "c.yaml"), "schema: dmasim-scenario/v1\nplatform: [unclosed\n");
        return SweepPlan.Create(SweepSpecLoader.Parse($"schema: dmasim-sweep/v1\nname: t\nfleet: {dir}\naxes:\n  profile: [linux-3.0, linux-6.1]\n", "t.yaml"));
    }

    [Fact]
    public void A_fleet_shard_takes_whole_machines_and_loads_only_those()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dmasim-fleet-shards-" + Environment.ProcessId);
        try
        {
            var plan = FleetWithABrokenThirdMachine(dir);
            Assert.Equal(8, plan.CellCount);
            // Two shards of four machines: machines 0 and 2 (a, c) to shard 0, machines 1 and 3 (b, d) to shard 1, each with both profiles.
            Assert.Equal([0, 1, 4, 5], plan.Shard(0, 2));
            Assert.Equal([2, 3, 6, 7], plan.Shard(1, 2));
            // More shards than machines: every N-th cell again.
            Assert.Equal([0, 5], plan.Shard(0, 5));
            // Shard 1 never needs the broken machine and runs; shard 0 and the whole sweep stop on it, naming its file.
            Assert.Equal([2, 3, 6, 7], SweepRunner.Run(plan, plan.Shard(1, 2)).Select(r => r.Cell).Distinct());
            var e = Assert.Throws<InputException>(() => SweepRunner.Run(plan, plan.Shard(0, 2)));
            Assert.EndsWith("c.yaml", e.Where.File, StringComparison.Ordinal);
            Assert.Throws<InputException>(() => plan.LoadMachines());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_cell_runs_its_profile_cmdline_and_edited_scenario()
    {
        var plan = Plan("  profile: [linux-2.6.32-rc5]\n  cmdline: [\"intel_iommu=on iommu=pt\"]\n  ram: [2GiB, 8GiB]\n");
        var low = SweepRunner.RunOne(plan, plan.Cell(0));
        var high = SweepRunner.RunOne(plan, plan.Cell(1));
        Assert.Equal(("linux-2.6.32-rc5", "intel_iommu=on iommu=pt"), (low.Profile, low.Cmdline));
        // The seed bug needs RAM above 4 GiB: with 2 GiB every page is below the 32-bit coherent mask.
        Assert.Equal(Outcome.Ok, low.Devices[0].Outcome);
        Assert.Equal(Outcome.Stall, high.Devices[0].Outcome);
    }

    [Fact]
    public void A_bad_set_value_stops_the_plan_before_anything_runs_with_the_spec_position()
    {
        var plan = Plan("  set:\n    devices.smartarray.address-bits: [64, 7]\n");
        var e = Assert.Throws<InputException>(() => SweepRunner.Run(plan, [0, 1]));
        Assert.Equal("t.yaml:6:43: error: address-bits must be between 24 and 64, not 7", e.Message);
    }

    [Fact]
    public void Rows_come_back_in_cell_order_and_the_same_every_time()
    {
        var plan = Plan("  profile: [linux-2.6.31, linux-2.6.32-rc5, linux-6.1]\n  ram: [2GiB, 8GiB]\n  set:\n    workload.0.count: [4]\n");
        var a = SweepRunner.Run(plan, Enumerable.Range(0, plan.CellCount).ToList());
        var b = SweepRunner.Run(plan, Enumerable.Range(0, plan.CellCount).ToList());
        Assert.Equal(Enumerable.Range(0, 6), a.Select(r => r.Cell));
        Assert.Equal(a.Select(r => (r.Cell, r.Outcome, r.Domain, r.DmaOps)), b.Select(r => (r.Cell, r.Outcome, r.Domain, r.DmaOps)));
        Assert.Equal(["ok", "ok", "ok", "stall", "ok", "ok"], a.Select(r => r.Outcome));
    }
}
