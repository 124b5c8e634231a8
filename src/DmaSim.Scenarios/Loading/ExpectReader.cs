using System.Collections.Immutable;
using DmaSim.Core;
using static DmaSim.Scenarios.Reader;

namespace DmaSim.Scenarios;

/// <summary>Reads `expect:`: each entry checks exactly one thing, optionally for some profiles only.</summary>
internal static class ExpectReader
{
    private static readonly string[] _keys = ["device", "outcome", "domain", "dma-ops", "finding", "log-contains", "profile"];
    private static readonly string[] _checks = ["outcome", "domain", "dma-ops", "finding", "log-contains"];

    public static ImmutableArray<Expectation> Read(YNode? node, DeviceIndex devices)
    {
        if (node is null) return [];
        var entries = ImmutableArray.CreateBuilder<Expectation>();
        foreach (var item in List(node, "expect")) entries.Add(ReadEntry(item, devices));
        return entries.ToImmutable();
    }

    private static Expectation ReadEntry(YNode node, DeviceIndex devices)
    {
        var m = Map(node, "expect entry", _keys);
        var checks = _checks.Where(m.Has).ToList();
        if (checks.Count == 0) throw Error(m.Span, "an expect entry needs one of: outcome, domain, dma-ops, finding, log-contains");
        // One check per entry so each line of the report says held or failed about exactly one thing.
        if (checks.Count > 1) throw Error(m.KeyNode(checks[1])!.Span, $"an expect entry checks one thing: '{checks[0]}' and '{checks[1]}' together; split it");
        var profiles = m.Get("profile") is { } p ? ReadProfiles(p) : [];
        var check = checks[0];
        var value = m.Get(check)!;

        if (check == "log-contains")
        {
            if (m.KeyNode("device") is { } dk) throw Error(dk.Span, "log-contains searches the whole log; it takes no 'device'");
            return new LogContainsExpectation(Text(value, "log-contains"), profiles, m.Span);
        }

        var device = devices.ResolveEndpoint(m.Required("device"), "device").Name;
        return check switch
        {
            "outcome" => new OutcomeExpectation(device, Word(value, "outcome", ContractWords.Outcomes), profiles, m.Span),
            "domain" => new DomainExpectation(device, Word(value, "domain", ContractWords.Domains), profiles, m.Span),
            "finding" => new FindingExpectation(device, Word(value, "finding", Vocabulary.Findings), profiles, m.Span),
            _ => new DmaOpsExpectation(device, Word(value, "dma-ops", ContractWords.DmaOps), profiles, m.Span),
        };
    }

    /// <summary>`profile:` is one name or a list of names.</summary>
    private static ImmutableArray<string> ReadProfiles(YNode node)
    {
        IReadOnlyList<YNode> items = node is YSequence s ? s.Items : [node];
        if (items.Count == 0) throw Error(node.Span, "profile needs at least one name (leave it out to apply to every profile)");
        var names = ImmutableArray.CreateBuilder<string>(items.Count);
        foreach (var item in items)
        {
            var name = Profile(item);
            if (names.Contains(name)) throw Error(item.Span, $"profile '{name}' is listed twice");
            names.Add(name);
        }
        return names.MoveToImmutable();
    }

    /// <summary>A profile name from <see cref="ProfileNames.All"/>.</summary>
    public static string Profile(YNode node)
    {
        var name = Text(node, "profile");
        // No "did you mean": the names differ by a version digit, and a near miss is another kernel.
        return ProfileNames.IsKnown(name)
            ? name
            : throw Error(node.Span, $"unknown profile '{name}'; expected one of: {string.Join(", ", ProfileNames.All)}");
    }
}
