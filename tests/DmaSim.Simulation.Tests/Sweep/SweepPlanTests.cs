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
