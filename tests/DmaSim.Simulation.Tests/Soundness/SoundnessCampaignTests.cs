using System.Globalization;
using CsCheck;
using DmaSim.Core;
using DmaSim.Kernel.Dma;
using DmaSim.Scenarios;

namespace DmaSim.Simulation.Tests.Soundness;

/// <summary>
/// The soundness campaign: generated scenarios with injected DMA-API misuse (every reachable debug.c
/// class), address truncation, out-of-mapping and unreachable DMAs and DMA after release, run in-process
/// under every profile; the checkers must report exactly what <see cref="CampaignReference"/> derives —
/// no miss, no false finding. CI runs a fixed-seed batch; DMASIM_SOUNDNESS=N runs N scenarios
/// (docs/checking.md, "Soundness campaign").
/// </summary>
public class SoundnessCampaignTests
{
    private const int CiScenarios = 10_000;

    private static int Count =>
        int.TryParse(Environment.GetEnvironmentVariable("DMASIM_SOUNDNESS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : CiScenarios;

    [Fact]
    public void The_checkers_report_exactly_the_injected_set()
    {
        var failures = new List<string>();
        var covered = new HashSet<FindingKind>();
        var configurations = new HashSet<(string, CampaignMode)>();
        var translatedKinds = new HashSet<FindingKind>();
        int overwriteFaults = 0, overwriteLandings = 0, overwriteCached = 0;
        int staleHits = 0, capacityFlushes = 0, timerFlushes = 0, cachingModeStrict = 0, untrustedStrict = 0, zlrReadFaults = 0;
        var gate = new object();
        Parallel.For(0, Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            // One fixed PCG stream per index: the batch is the same on every run and machine.
            var scenario = CampaignScenario.Gen.Generate(new PCG(1, (ulong)i), null, out _);
            var (debug, physical, handles, coherent, strays) = Actual(scenario);
            var want = CampaignReference.Of(scenario, handles, coherent);
            lock (gate)
            {
                covered.UnionWith(debug);
                covered.UnionWith(physical);
                configurations.Add((scenario.Profile.Name, scenario.Mode));
                if (scenario.Translated) translatedKinds.UnionWith(physical);
                staleHits += want.StaleHits;
                capacityFlushes += want.CapacityFlushes;
                timerFlushes += want.TimerFlushes;
                zlrReadFaults += want.ZlrReadFaults;
                overwriteFaults += want.OverwriteFaults;
                overwriteLandings += want.OverwriteLandings;
                overwriteCached += want.OverwriteCached;
                if (want.CachingModeStrict) cachingModeStrict++;
                if (want.UntrustedStrict) untrustedStrict++;
                // A write the garbage sent elsewhere: the checker names the page's owner, the buffer the reference predicts.
                var named = want.LandedOn is not { } owner || strays.Any(x => x.Contains($"which is kernel buffer {owner};", StringComparison.Ordinal));
                if (!debug.SequenceEqual(want.Debug) || !physical.SetEquals(want.Physical) || !named)
                    failures.Add($"#{i} {scenario.Profile.Name}: debug [{string.Join(", ", debug)}] want [{string.Join(", ", want.Debug)}]; physical [{string.Join(", ", physical.Order())}] want [{string.Join(", ", want.Physical.Order())}]{(named ? "" : $"; stray writes not into {want.LandedOn}")}\n{scenario.Yaml()}");
            }
        });
        if (failures.Count > 0) Assert.Fail($"{failures.Count} of {Count} scenarios differ; first:\n{failures.OrderBy(f => f, StringComparer.Ordinal).First()}");
        // The generator must really inject every class it claims to: a campaign that never reaches one proves nothing about it.
        FindingKind[] injected =
        [
            FindingKind.FreeNotAllocated, FindingKind.FreeDifferentSize, FindingKind.FreeWrongFunction, FindingKind.FreeDifferentDirection,
            FindingKind.MapErrorNotChecked, FindingKind.SyncNotAllocated, FindingKind.SyncDifferentDirection, FindingKind.SyncReadOnlyForCpu,
            FindingKind.SyncWriteOnlyToDevice, FindingKind.OverlappingMapping, FindingKind.PendingAtUnbind, FindingKind.SgSegmentTooLong,
            FindingKind.LeakAtEnd, FindingKind.StrayWrite, FindingKind.StrayDataRead, FindingKind.OutOfMapping, FindingKind.UseAfterUnmap,
            FindingKind.IommuFault,
        ];
        if (Count < CiScenarios) return;
        Assert.Empty(injected.Except(covered));
        // Every profile under every mode, and translated runs that fault and run past a mapping's end.
        Assert.Equal(ProfileNames.All.Length * Enum.GetValues<CampaignMode>().Length, configurations.Count);
        Assert.Empty(new[] { FindingKind.IommuFault, FindingKind.OutOfMapping }.Except(translatedKinds));
        // Lazy unmapping: DMAs through stale IOTLB entries, flush queues drained by capacity and by timer, and
        // caching-mode units and untrusted devices that the era turns strict; device reads of from-device mappings a CAP.ZLR unit left write-only.
        Assert.All(new[] { staleHits, capacityFlushes, timerFlushes, cachingModeStrict, untrustedStrict, zlrReadFaults }, n => Assert.True(n > 0));
        // Writes into a VT-d page table: the next walk faults on the garbage or follows it elsewhere, and an entry cached before still decides.
        Assert.All(new[] { overwriteFaults, overwriteLandings, overwriteCached }, n => Assert.True(n > 0));
    }

    [Fact]
    public void The_scenarios_built_in_memory_are_the_files_the_failures_print()
    {
        for (var i = 0; i < 200; i++)
        {
            var scenario = CampaignScenario.Gen.Generate(new PCG(1, (ulong)i), null, out _);
            var parsed = SimRig.Parse(scenario.Yaml()).Workload.Select(w => w with { Span = default }).ToList();
            var built = scenario.Build().Workload;
            Assert.Equal(parsed.Count, built.Length);
            for (var j = 0; j < built.Length; j++)
            {
                if (built[j] is MapSgStep sg) Assert.Equal(sg.Segments.ToArray(), Assert.IsType<MapSgStep>(parsed[j]).Segments.ToArray());
                else Assert.Equal(parsed[j], built[j]);
            }
        }
    }

    /// <summary>What the model reported: every dma-debug error in order, the set of other finding kinds, and dev's stray-write messages.</summary>
    private static (List<FindingKind> Debug, HashSet<FindingKind> Physical, ulong[] Handles, ulong Coherent, string[] Strays) Actual(CampaignScenario scenario)
    {
        var s = scenario.Build();
        var m = SimRig.RunKeeping(s, scenario.Profile, beforeLast: scenario.Overwrite is { } o ? o.Apply : null);
        m.DmaDebug.ReportLeaksAtEnd();
        var physical = Enum.GetValues<FindingKind>()
            .Where(k => !FindingKinds.IsDmaApiDebug(k) && k != FindingKind.LeakAtEnd && m.Checker.Saw("dev", k))
            .ToHashSet();
        // The handles the run returned, in map order: the reference translates them through its own record.
        var calls = m.Events.Events.OfType<DmaApiEvent>().Where(e => e.Device == "dev" && e.Ok && e.Dma is not null).ToList();
        ulong[] handles = [.. calls.Where(e => e.Call is "dma_map_single" or "dma_map_page").Select(e => e.Dma!.Value.Value)];
        var coherent = calls.FirstOrDefault(e => e.Call == "dma_alloc_coherent")?.Dma?.Value ?? 0;
        string[] strays = [.. m.Checker.Findings.Where(f => f.Device == "dev" && f.Kind == FindingKind.StrayWrite).Select(f => f.Message)];
        return ([.. m.DmaDebug.Errors.Select(f => f.Kind)], physical, handles, coherent, strays);
    }
}
