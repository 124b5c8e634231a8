using System.Runtime.ExceptionServices;
using DmaSim.Core;

namespace DmaSim.Simulation.Sweep;

/// <summary>
/// Runs cells in this process. Every cell is an independent machine, so they run on every core; rows come
/// back in cell order whatever the scheduling, so the output is the same byte for byte on every run.
/// </summary>
public static class SweepRunner
{
    /// <summary>Runs <paramref name="cells"/> (indexes into the plan); <paramref name="cellDone"/> is called once per finished cell, from any thread.</summary>
    public static IReadOnlyList<SweepRow> Run(SweepPlan plan, IReadOnlyList<int> cells, Action? cellDone = null)
    {
        var rows = new List<SweepRow>();
        Stream(plan, cells, rows.AddRange, cellDone);
        return rows;
    }

    /// <summary>
    /// Runs <paramref name="cells"/> and hands each cell's rows to <paramref name="sink"/> in cell order, one
    /// call at a time, as soon as every earlier cell is done: a sweep holds only the cells finished ahead of
    /// the oldest running one (at most <see cref="Window"/>), not every row, so a fleet of 10^5 cells streams
    /// to disk in bounded memory. A cell that throws stops the sweep with that cell's own exception (the
    /// first failing cell in order), as <see cref="SuiteRunner"/> does.
    /// </summary>
    public static void Stream(SweepPlan plan, IReadOnlyList<int> cells, Action<IReadOnlyList<SweepRow>> sink, Action? cellDone = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(sink);
        plan.Validate(cells);
        var order = new OrderedCells(cells.Count, sink);
        Parallel.For(0, Math.Min(Environment.ProcessorCount, Math.Max(1, cells.Count)), _ =>
        {
            while (order.Take() is { } i)
            {
                try
                {
                    var rows = RunCell(plan, plan.Cell(cells[i]));
                    cellDone?.Invoke();
                    order.Finish(i, rows);
                }
#pragma warning disable CA1031 // Captured and rethrown below with its own stack.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    order.Fail(i, ExceptionDispatchInfo.Capture(e));
                }
            }
        });
        order.ThrowFirstFailure();
    }

    /// <summary>Cells finished ahead of the oldest unfinished one that a sweep may hold before its workers wait.</summary>
    public const int Window = 256;

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

    /// <summary>
    /// Hands out positions in increasing order and passes finished ones on in that order. Workers wait when
    /// the position they would take is <see cref="Window"/> ahead of the oldest unfinished one; after a
    /// failure nothing more is handed out or passed on.
    /// </summary>
    private sealed class OrderedCells(int count, Action<IReadOnlyList<SweepRow>> sink)
    {
        private readonly object _gate = new(); // a Monitor, for Wait and PulseAll
        private readonly List<SweepRow>?[] _finished = new List<SweepRow>?[count];
        private readonly ExceptionDispatchInfo?[] _failures = new ExceptionDispatchInfo?[count];
        private int _next;
        private int _passed;
        private bool _failed;

        public int? Take()
        {
            lock (_gate)
            {
                while (!_failed && _next < count && _next - _passed >= Window) Monitor.Wait(_gate);
                return _failed || _next >= count ? null : _next++;
            }
        }

        public void Finish(int position, List<SweepRow> rows)
        {
            lock (_gate)
            {
                _finished[position] = rows;
                while (!_failed && _passed < count && _finished[_passed] is { } ready)
                {
                    _finished[_passed++] = null;
                    sink(ready);
                }
                Monitor.PulseAll(_gate);
            }
        }

        public void Fail(int position, ExceptionDispatchInfo failure)
        {
            lock (_gate)
            {
                _failures[position] = failure;
                _failed = true;
                Monitor.PulseAll(_gate);
            }
        }

        public void ThrowFirstFailure() => Array.Find(_failures, f => f is not null)?.Throw();
    }
}
