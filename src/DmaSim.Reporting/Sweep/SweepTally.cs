using DmaSim.Simulation.Sweep;

namespace DmaSim.Reporting.Sweep;

/// <summary>
/// What the summary table and the heat map need from a sweep's rows, gathered one row at a time so the
/// rows need not be kept: outcome counts per axis value, the worst outcome per pair of axis values, values
/// in order of first appearance (= spec order).
/// </summary>
public sealed class SweepTally
{
    private readonly List<string> _axes = [];
    private readonly Dictionary<string, AxisValues> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Down, string Across), Dictionary<(string, string), string>> _worst = [];
    private readonly Dictionary<string, int> _all = new(StringComparer.Ordinal);

    public int Rows { get; private set; }

    /// <summary>The axes of the rows, in the first row's order.</summary>
    public IReadOnlyList<string> Axes => _axes;

    public static SweepTally Of(IEnumerable<SweepRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var t = new SweepTally();
        foreach (var r in rows) t.Add(r);
        return t;
    }

    public void Add(SweepRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Rows++ == 0) _axes.AddRange(row.Axes.Select(a => a.Key));
        _all[row.Outcome] = _all.GetValueOrDefault(row.Outcome) + 1;
        foreach (var axis in _axes) Values(axis).Count(Value(row, axis), row.Outcome);
        for (var i = 0; i < _axes.Count; i++)
        {
            AddWorst(_axes[i], null, row);
            for (var j = i + 1; j < _axes.Count; j++) AddWorst(_axes[i], _axes[j], row);
        }
    }

    /// <summary>The outcomes present, with ok always, in the contract's order from best to worst.</summary>
    public List<string> Outcomes()
    {
        var present = _all.Keys.ToHashSet(StringComparer.Ordinal);
        present.Add("ok");
        return [.. present.OrderBy(SweepSummary.Severity).ThenBy(o => o, StringComparer.Ordinal)];
    }

    /// <summary>The values of <paramref name="axis"/> in order of first appearance.</summary>
    public IReadOnlyList<string> ValuesOf(string axis) => _values.TryGetValue(axis, out var v) ? v.Order : [];

    /// <summary>Rows with <paramref name="axis"/> = <paramref name="value"/> that ended in <paramref name="outcome"/>.</summary>
    public int Count(string axis, string value, string outcome) => _values[axis].Counts[value].GetValueOrDefault(outcome);

    /// <summary>Whether some row with <paramref name="axis"/> = <paramref name="value"/> did not end ok.</summary>
    public bool AnyFailure(string axis, string value) => _values[axis].Counts[value].Any(c => c.Key != "ok" && c.Value > 0);

    public int CountAll(string outcome) => _all.GetValueOrDefault(outcome);

    /// <summary>The worst outcome over the rows with these two values (<paramref name="across"/> null: one axis), or "" if none.</summary>
    public string Worst(string down, string? across, string downValue, string acrossValue) =>
        _worst.TryGetValue((down, across ?? ""), out var cells) ? cells.GetValueOrDefault((downValue, acrossValue), "") : "";

    public static string Value(SweepRow row, string axis) => row.Axes.FirstOrDefault(a => a.Key == axis).Value ?? "";

    private void AddWorst(string down, string? across, SweepRow row)
    {
        var key = (down, across ?? "");
        if (!_worst.TryGetValue(key, out var cells)) _worst[key] = cells = [];
        var at = (Value(row, down), across is null ? "" : Value(row, across));
        // The first of equally bad outcomes stays (what MaxBy over the rows in order kept).
        if (!cells.TryGetValue(at, out var worst) || SweepSummary.Severity(row.Outcome) > SweepSummary.Severity(worst)) cells[at] = row.Outcome;
    }

    private AxisValues Values(string axis)
    {
        if (!_values.TryGetValue(axis, out var v)) _values[axis] = v = new AxisValues();
        return v;
    }

    private sealed class AxisValues
    {
        public List<string> Order { get; } = [];
        public Dictionary<string, Dictionary<string, int>> Counts { get; } = new(StringComparer.Ordinal);

        public void Count(string value, string outcome)
        {
            if (!Counts.TryGetValue(value, out var byOutcome))
            {
                Counts[value] = byOutcome = new Dictionary<string, int>(StringComparer.Ordinal);
                Order.Add(value);
            }
            byOutcome[outcome] = byOutcome.GetValueOrDefault(outcome) + 1;
        }
    }
}
