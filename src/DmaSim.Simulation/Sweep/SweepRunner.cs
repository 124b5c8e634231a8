using DmaSim.Core;

namespace DmaSim.Simulation.Sweep;

/// <summary>
/// Runs cells in this process. Every cell is an independent machine, so they run in parallel; rows come
/// back in cell order whatever the scheduling, so the output is the same byte for byte on every run.
/// </summary>
public static class SweepRunner
{
    /// <summary>Runs <paramref name="cells"/> (indexes into the plan); <paramref name="cellDone"/> is called once per finished cell, from any thread.</summary>
    public static IReadOnlyList<SweepRow> Run(SweepPlan plan, IReadOnlyList<int> cells, Action? cellDone = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(cells);
        plan.Validate(cells);
        var rows = new IReadOnlyList<SweepRow>[cells.Count];
        Parallel.For(0, cells.Count, i =>
        {
            rows[i] = RunCell(plan, plan.Cell(cells[i]));
            cellDone?.Invoke();
        });
        return [.. rows.SelectMany(r => r)];
    }

    public static RunResult RunOne(SweepPlan plan, SweepCell cell)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(cell);
        var scenario = plan.ScenarioOf(cell);
        return ScenarioRunner.Run(scenario, plan.ProfileOf(cell, scenario), SweepPlan.CmdlineOf(cell, scenario));
    }

    private static List<SweepRow> RunCell(SweepPlan plan, SweepCell cell) => RowsOf(cell, RunOne(plan, cell));

    /// <summary>One row per device of the run, in the scenario's device order.</summary>
    public static List<SweepRow> RowsOf(SweepCell cell, RunResult r)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(r);
        var axes = cell.Values.Select(v => new KeyValuePair<string, string>(v.Axis.Name, v.Value.Text)).ToList();
        var held = r.Expectations.Count(e => e.Held);
        var broken = r.Expectations.Where(e => !e.Held).Select(e => e.Text).ToList();
        return [.. r.Devices.Select(d => new SweepRow(cell.Index, axes, r.Scenario, r.Profile, r.Cmdline, d.Name, d.DomainName, d.Group, d.Flush, d.DmaOpsName,
            ContractWords.Outcomes.NameOf(d.Outcome), [.. r.Findings.Where(f => f.Device == d.Name).Select(f => f.KindName).Distinct()], held, broken))];
    }
}
