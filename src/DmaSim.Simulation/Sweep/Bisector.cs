using DmaSim.Core;
using DmaSim.Kernel.Profiles;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Sweep;

/// <summary>One probe of a bisect: the good profile with some of the bad profile's rules, and what the run gave.</summary>
public sealed record BisectStep(IReadOnlyList<string> Applied, string Outcomes, bool LikeBad);

/// <summary>A rule whose change flips the outcome: its value and citation in each profile.</summary>
public sealed record Culprit(NamedRule Good, NamedRule Bad);

public sealed record BisectResult(
    string Scenario,
    string Good,
    string Bad,
    string GoodOutcomes,
    string BadOutcomes,
    IReadOnlyList<string> Differing,
    IReadOnlyList<BisectStep> Steps,
    IReadOnlyList<Culprit> Culprits)
{
    /// <summary>The two profiles give the same outcomes: nothing to bisect.</summary>
    public bool Agree => GoodOutcomes == BadOutcomes;
}

/// <summary>
/// `dmasim bisect`: the rules that differ between a good and a bad profile, applied to the good one in
/// declaration order and bisected like commits (the fewest that turn good into bad), then each of those
/// dropped in turn while the outcome stays bad, leaving the rule or rules that flip it on their own.
/// </summary>
public static class Bisector
{
    public static BisectResult Run(Scenario scenario, KernelProfile good, KernelProfile bad, string? cmdline = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(good);
        ArgumentNullException.ThrowIfNull(bad);
        string Outcomes(KernelProfile p) =>
            string.Join(", ", ScenarioRunner.Run(scenario, p, cmdline).Devices.Select(d => $"{d.Name} {ContractWords.Outcomes.NameOf(d.Outcome)}"));
        var goodOut = Outcomes(good);
        var badOut = Outcomes(bad);
        var differing = ProfileMix.Differing(good, bad);
        var steps = new List<BisectStep>();
        if (goodOut == badOut) return new BisectResult(scenario.Name, good.Name, bad.Name, goodOut, badOut, differing, steps, []);

        bool LikeBad(IReadOnlyList<string> rules)
        {
            var outcome = Outcomes(ProfileMix.Mix(good, bad, rules));
            steps.Add(new BisectStep(rules, outcome, outcome == badOut));
            return outcome == badOut;
        }

        // git bisect over the prefix length: the fewest leading rules whose change already gives the bad outcome.
        int lo = 1, hi = differing.Count;
        if (!LikeBad(differing)) return new BisectResult(scenario.Name, good.Name, bad.Name, goodOut, badOut, differing, steps, []);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (LikeBad([.. differing.Take(mid)])) hi = mid;
            else lo = mid + 1;
        }
        // Then the rules before the first bad one that are not needed with it go, one at a time.
        var set = differing.Take(lo).ToList();
        foreach (var rule in set.Take(set.Count - 1).ToList())
        {
            var without = set.Where(r => r != rule).ToList();
            if (LikeBad(without)) set = without;
        }
        var culprits = set.Select(r => new Culprit(ProfileMix.Describe(good, r), ProfileMix.Describe(bad, r))).ToList();
        return new BisectResult(scenario.Name, good.Name, bad.Name, goodOut, badOut, differing, steps, culprits);
    }
}
