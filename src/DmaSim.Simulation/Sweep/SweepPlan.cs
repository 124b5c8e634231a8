using System.Collections.Concurrent;
using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Scenarios.Sweep;

namespace DmaSim.Simulation.Sweep;

/// <summary>One cell: its index in the full sweep and the value of every axis (the machine first for a fleet).</summary>
public sealed record SweepCell(int Index, IReadOnlyList<(SweepAxis Axis, AxisValue Value)> Values)
{
    public AxisValue? ValueOf(AxisKind kind) => Values.FirstOrDefault(v => v.Axis.Kind == kind).Value;
}

/// <summary>
/// The cells of a spec: the machines (one base, or a fleet) times the cross product of the axis groups,
/// numbered in a fixed order (the first axis the outermost loop), so a cell's index means the same cell
/// in every process: what makes `--shard` and `sweep merge` exact.
/// </summary>
public sealed class SweepPlan
{
    private readonly IReadOnlyList<AxisGroup> _groups;
    private readonly ConcurrentDictionary<string, Lazy<Scenario>> _variants = new(StringComparer.Ordinal);
    private readonly Lazy<Dictionary<string, FleetMachine>> _byName;

    private SweepPlan(SweepSpec spec, IReadOnlyList<FleetMachine> machines, IReadOnlyList<AxisGroup> groups)
    {
        Spec = spec;
        Machines = machines;
        _byName = new Lazy<Dictionary<string, FleetMachine>>(ByName);
        _groups = groups;
        var cells = groups.Aggregate(1L, (n, g) => n > int.MaxValue ? n : n * g.Count);
        CellCount = cells <= int.MaxValue
            ? (int)cells
            : throw new InputException(spec.Span, $"the sweep has {cells} cells; at most {int.MaxValue} fit one plan (split it)");
    }

    public SweepSpec Spec { get; }
    public IReadOnlyList<FleetMachine> Machines { get; }
    public int CellCount { get; }

    /// <summary>Axes as the rows name them, outermost first (`machine` first for a fleet).</summary>
    public IEnumerable<SweepAxis> Axes => _groups.SelectMany(g => g.Axes);

    public static SweepPlan Create(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var machines = Fleet.Load(spec.Source);
        var groups = new List<AxisGroup>();
        if (spec.Source is FleetSource)
        {
            var values = machines.Select(m => new AxisValue(m.Name, false, new SourceSpan(m.FileName, 1, 1))).ToList();
            groups.Add(new AxisGroup([new SweepAxis("machine", AxisKind.Machine, values, spec.Source.Span)]));
        }
        groups.AddRange(spec.Groups);
        return new SweepPlan(spec, machines, groups);
    }

    /// <summary>The cell at <paramref name="index"/>: mixed-radix digits over the groups, the last group fastest.</summary>
    public SweepCell Cell(int index)
    {
        var values = new (SweepAxis, AxisValue)[_groups.Sum(g => g.Axes.Count)];
        var rest = index;
        var slot = values.Length;
        for (var g = _groups.Count - 1; g >= 0; g--)
        {
            var group = _groups[g];
            var digit = rest % group.Count;
            rest /= group.Count;
            for (var a = group.Axes.Count - 1; a >= 0; a--) values[--slot] = (group.Axes[a], group.Axes[a].Values[digit]);
        }
        return new SweepCell(index, values);
    }

    /// <summary>
    /// Cells of shard <paramref name="shard"/> of <paramref name="count"/>: every count-th cell, so each shard
    /// gets a spread of the axes; for a fleet of at least <paramref name="count"/> machines, every count-th
    /// machine with all its cells, so a shard imports only its own machines.
    /// </summary>
    public IReadOnlyList<int> Shard(int shard, int count)
    {
        var perMachine = Spec.Source is FleetSource && Machines.Count >= count ? CellCount / Machines.Count : 1;
        return [.. Enumerable.Range(0, CellCount).Where(i => i / perMachine % count == shard)];
    }

    /// <summary>Loads every machine (a fleet's are imported on first use), so one that does not load stops here; the first in order is reported.</summary>
    public void LoadMachines() => ThrowFirstInOrder(Machines.Count, i => _ = Machines[i].Template);

    public FleetMachine MachineOf(SweepCell cell) =>
        cell.ValueOf(AxisKind.Machine) is { } m ? _byName.Value[m.Text] : Machines[0];

    private Dictionary<string, FleetMachine> ByName() => Machines.ToDictionary(x => x.Name, StringComparer.Ordinal);

    /// <summary>The scenario of a cell: the machine with the cell's RAM and `set:` values, loaded once per distinct variant.</summary>
    public Scenario ScenarioOf(SweepCell cell)
    {
        var machine = MachineOf(cell);
        var edits = cell.Values.Where(v => v.Axis.Kind is AxisKind.Ram or AxisKind.Set).ToList();
        var key = machine.Name + "\0" + string.Join("\0", edits.Select(e => e.Axis.Name + "=" + e.Value.Text));
        return _variants.GetOrAdd(key, _ => new Lazy<Scenario>(() => machine.Template.WithAxes(edits).Build())).Value;
    }

    public KernelProfile ProfileOf(SweepCell cell, Scenario scenario)
    {
        var name = cell.ValueOf(AxisKind.Profile)?.Text ?? scenario.Kernel.Profile;
        return ProfileCatalog.Find(name) ?? throw new InputException(cell.ValueOf(AxisKind.Profile)?.Span ?? scenario.Kernel.Span, $"unknown profile '{name}'");
    }

    public static string CmdlineOf(SweepCell cell, Scenario scenario) => cell.ValueOf(AxisKind.Cmdline)?.Text ?? scenario.Kernel.Cmdline;

    /// <summary>
    /// Loads every scenario variant the given cells need before any runs, so a bad value stops the sweep
    /// at once (exit 2) with its place; the first bad cell in order is the one reported.
    /// </summary>
    public void Validate(IReadOnlyList<int> cells) => ThrowFirstInOrder(cells.Count, i =>
    {
        var cell = Cell(cells[i]);
        ProfileOf(cell, ScenarioOf(cell));
    });

    // Runs the checks in parallel; the first failing one in order is the one reported, whatever finished first.
    private static void ThrowFirstInOrder(int count, Action<int> check)
    {
        var errors = new InputException?[count];
        Parallel.For(0, count, i =>
        {
            try
            {
                check(i);
            }
            catch (InputException e)
            {
                errors[i] = e;
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } first) throw first;
    }
}
