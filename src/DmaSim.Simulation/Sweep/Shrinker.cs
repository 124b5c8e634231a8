using System.Globalization;
using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;
using DmaSim.Scenarios.Sweep;

namespace DmaSim.Simulation.Sweep;

/// <summary>A failing cell taken down to a minimal scenario; <see cref="Yaml"/> is a runnable file whose comment says what went.</summary>
public sealed record ShrinkResult(int Cell, string Device, string Outcome, string FileName, string Yaml, IReadOnlyList<string> Changes)
{
    public string Summary => Changes.Count == 0 ? "nothing could go" : string.Join("; ", Changes);
}

/// <summary>
/// Property-testing style shrinking of a failing cell: keep a change while the same device still ends
/// in the same outcome. In order: drop other devices, drop workload steps, cut counts and repeats, cut
/// RAM, then widen masks and address bits as far as the failure survives (the widest that still fails
/// says how narrow a mask has to be to hit it). Each candidate is loaded by the scenario loader, so what
/// comes out is a valid scenario.
/// </summary>
public static class Shrinker
{
    private static readonly string[] _countKeys = ["count", "repeat"];
    private static readonly string[] _widthKeys = ["address-bits", "descriptor-address-bits", "dma-mask-bits", "coherent-dma-mask-bits"];
    private const ulong MinRam = 16 * Sizes.MiB;

    public static IReadOnlyList<ShrinkResult> ShrinkAll(SweepPlan plan, IReadOnlyList<int> cells, Action? done = null)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var results = new ShrinkResult?[cells.Count];
        Parallel.For(0, cells.Count, i =>
        {
            results[i] = Shrink(plan, cells[i]);
            done?.Invoke();
        });
        return [.. results.OfType<ShrinkResult>()];
    }

    /// <summary>Shrinks cell <paramref name="index"/>; null when every device of it is ok.</summary>
    public static ShrinkResult? Shrink(SweepPlan plan, int index)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var cell = plan.Cell(index);
        var machine = plan.MachineOf(cell);
        var start = machine.Template.WithAxes(cell.Values.Where(v => v.Axis.Kind is AxisKind.Ram or AxisKind.Set));
        var scenario = start.Build();
        var profile = plan.ProfileOf(cell, scenario);
        var cmdline = SweepPlan.CmdlineOf(cell, scenario);
        var first = ScenarioRunner.Run(scenario, profile, cmdline);
        if (first.Devices.Where(d => d.Outcome != Outcome.Ok).MaxBy(d => d.Outcome) is not { } target) return null;
        var goal = new Goal(target.Name, target.Outcome, profile, cmdline);
        var changes = new List<string>();
        var t = DropDevices(start, scenario, goal, changes);
        t = DropSteps(t, goal, changes);
        t = Narrow(t, _countKeys, goal, changes);
        t = CutRam(t, goal, changes);
        t = Widen(t, goal, changes);
        return Write(plan, cell, t, goal, changes);
    }

    private sealed record Goal(string Device, Outcome Outcome, KernelProfile Profile, string Cmdline)
    {
        public string OutcomeName => ContractWords.Outcomes.NameOf(Outcome);

        /// <summary>The candidate still fails the same way: same device, same outcome.</summary>
        public bool Holds(ScenarioTemplate t)
        {
            Scenario s;
            try
            {
                s = t.Build();
            }
            catch (InputException)
            {
                return false; // the edit made an invalid scenario (a device behind a removed bridge, RAM below a fixed address, …)
            }
            return ScenarioRunner.Run(s, Profile, Cmdline).Devices.Any(d => d.Name == Device && d.Outcome == Outcome);
        }
    }

    private static ScenarioTemplate DropDevices(ScenarioTemplate t, Scenario s, Goal goal, List<string> changes)
    {
        var gone = new List<string>();
        // Last first, so devices behind a bridge go before the bridge.
        foreach (var d in s.Platform.Devices.Select(d => d.Name).Where(n => n != goal.Device).Reverse())
        {
            var candidate = t.WithoutDevice(d);
            if (!goal.Holds(candidate)) continue;
            t = candidate;
            gone.Add(d);
        }
        if (gone.Count > 0) changes.Add($"removed device(s) {string.Join(", ", gone)} and every entry naming them");
        return t;
    }

    private static ScenarioTemplate DropSteps(ScenarioTemplate t, Goal goal, List<string> changes)
    {
        var before = t.StepCount;
        for (var i = before - 1; i >= 0; i--)
        {
            var candidate = t.WithoutStep(i);
            // No workload is not a smaller one: the machine would run the default workload instead.
            if (candidate.StepCount > 0 && goal.Holds(candidate)) t = candidate;
        }
        if (t.StepCount < before) changes.Add($"removed {before - t.StepCount} of {before} workload step(s)");
        return t;
    }

    /// <summary>Counts and repeats down to the smallest value that still fails (binary search from 1).</summary>
    private static ScenarioTemplate Narrow(ScenarioTemplate t, string[] keys, Goal goal, List<string> changes)
    {
        foreach (var (path, _, value) in t.Scalars(keys))
        {
            if (!ScenarioNumber.TryParse(value, out var current, out _) || current <= 1) continue;
            ulong lo = 1, hi = current;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) / 2);
                if (goal.Holds(Set(t, path, mid))) hi = mid;
                else lo = mid + 1;
            }
            if (hi < current)
            {
                t = Set(t, path, hi);
                changes.Add($"{path} {value} → {hi}");
            }
        }
        return t;
    }

    /// <summary>The least usable RAM (in MiB) that still fails, as the sweep's `ram:` axis cuts it.</summary>
    private static ScenarioTemplate CutRam(ScenarioTemplate t, Goal goal, List<string> changes)
    {
        var current = t.UsableRam;
        if (current <= MinRam) return t;
        ulong lo = MinRam / Sizes.MiB, hi = current / Sizes.MiB;
        var at = new SourceSpan(t.FileName, 1, 1);
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (goal.Holds(t.WithRam(mid * Sizes.MiB, at))) hi = mid;
            else lo = mid + 1;
        }
        if (hi * Sizes.MiB >= current || !goal.Holds(t.WithRam(hi * Sizes.MiB, at))) return t;
        changes.Add($"usable RAM {Sizes.Format(current)} → {Sizes.Format(hi * Sizes.MiB)}");
        return t.WithRam(hi * Sizes.MiB, at);
    }

    /// <summary>Masks and address widths up to the widest value that still fails (64 when the width does not matter).</summary>
    private static ScenarioTemplate Widen(ScenarioTemplate t, Goal goal, List<string> changes)
    {
        foreach (var (path, _, value) in t.Scalars(_widthKeys))
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var current) || current >= 64) continue;
            int lo = current, hi = 64;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo + 1) / 2);
                if (goal.Holds(Set(t, path, (ulong)mid))) lo = mid;
                else hi = mid - 1;
            }
            if (lo > current)
            {
                t = Set(t, path, (ulong)lo);
                changes.Add($"{path} {value} → {lo} (the widest that still fails)");
            }
            else changes.Add($"{path} stays {value}: any wider and it no longer fails");
        }
        return t;
    }

    private static ScenarioTemplate Set(ScenarioTemplate t, string path, ulong value)
    {
        var at = new SourceSpan(t.FileName, 1, 1);
        return t.With(path, new AxisValue(value.ToString(CultureInfo.InvariantCulture), false, at), at);
    }

    private static ShrinkResult Write(SweepPlan plan, SweepCell cell, ScenarioTemplate t, Goal goal, List<string> changes)
    {
        var at = new SourceSpan(t.FileName, 1, 1);
        var name = $"{plan.Spec.Name}-cell{cell.Index}-shrunk";
        var final = t.With("name", new AxisValue(name, false, at), at)
            .With("kernel.profile", new AxisValue(goal.Profile.Name, false, at), at)
            .With("kernel.cmdline", new AxisValue(goal.Cmdline, true, at), at)
            .ExpectingOnly(goal.Device, goal.OutcomeName, at);
        var axes = string.Join(", ", cell.Values.Select(v => $"{v.Axis.Name}={v.Value.Text}"));
        List<string> header =
        [
            $"Shrunk by `dmasim sweep --shrink` from cell {cell.Index} of sweep '{plan.Spec.Name}' ({axes}).",
            $"Still fails the same way: {goal.Device} ends in {goal.OutcomeName} under {goal.Profile.Name} with \"{goal.Cmdline}\".",
            "What was removed or changed:",
            .. (changes.Count == 0 ? ["  nothing: every part of the scenario is needed for the failure"] : changes.Select(c => "  " + c)),
            "The expectation below holds while the failure reproduces (`dmasim run` exits 0).",
        ];
        var yaml = final.ToYaml(header);
        // The written text must load and fail the same way; anything else is a bug of the writer.
        var check = ScenarioRunner.Run(ScenarioLoader.Parse(yaml, name + ".yaml"), goal.Profile, goal.Cmdline);
        if (!check.Devices.Any(d => d.Name == goal.Device && d.Outcome == goal.Outcome))
            throw new InvalidOperationException($"shrunk scenario of cell {cell.Index} no longer fails the same way");
        var file = string.Create(CultureInfo.InvariantCulture, $"cell-{cell.Index:D6}-{goal.Device}-{goal.OutcomeName}.yaml");
        return new ShrinkResult(cell.Index, goal.Device, goal.OutcomeName, file, yaml, changes);
    }
}
