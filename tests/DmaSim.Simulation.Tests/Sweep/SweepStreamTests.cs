using DmaSim.Simulation.Sweep;

namespace DmaSim.Simulation.Tests.Sweep;

/// <summary>SweepRunner.Stream hands rows on in cell order, one call at a time, while the cells run on every core.</summary>
public sealed class SweepStreamTests
{
    [Fact]
    public void Rows_reach_the_sink_in_cell_order_one_call_at_a_time_and_equal_what_Run_returns()
    {
        var plan = SweepPlanTests.Plan("  profile: [linux-2.6.31, linux-3.0, linux-6.1]\n  ram: [2GiB, 5GiB, 8GiB]\n  set:\n    workload.0.count: [1, 2]\n");
        var cells = Enumerable.Range(0, plan.CellCount).ToList();
        var seen = new List<int>();
        var inside = 0;
        var overlapped = false;
        SweepRunner.Stream(plan, cells, rows =>
        {
            if (Interlocked.Increment(ref inside) > 1) overlapped = true;
            seen.Add(rows[0].Cell);
            Assert.All(rows, r => Assert.Equal(rows[0].Cell, r.Cell));
            Interlocked.Decrement(ref inside);
        });
        Assert.False(overlapped);
        Assert.Equal(cells, seen);
        var listed = SweepRunner.Run(plan, cells);
        Assert.Equal(listed.Select(r => r.Cell).Distinct(), seen);
    }
}
