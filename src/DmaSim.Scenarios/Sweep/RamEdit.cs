using DmaSim.Core;

namespace DmaSim.Scenarios.Sweep;

/// <summary>
/// The `ram:` axis: total usable RAM. When it fits below 4 GiB, the usable e820 entries below 4 GiB are
/// kept from the bottom up and cut where the total is reached (the rest dropped); otherwise everything
/// below 4 GiB stays whole and the remainder becomes one usable entry from 4 GiB up, replacing the
/// usable entries there. Holes and reserved ranges stay where the firmware put them, so the 32-bit
/// PCI hole and ACPI tables of a real machine survive a change of RAM.
/// </summary>
internal static class RamEdit
{
    private const ulong FourGiB = 1UL << 32;

    private sealed record Entry(YMapping Node, ulong Start, ulong End, bool Usable)
    {
        public ulong Size => End - Start + 1;
    }

    public static YNode Apply(YNode root, ulong bytes, SourceSpan at)
    {
        var (memory, entries) = Read(root, at);
        if (entries is null) return root; // an unreadable entry: the scenario loader reports it at its place
        var below = entries.Where(e => e.Usable && e.Start < FourGiB).OrderBy(e => e.Start).ToList();
        var kept = entries.Where(e => !e.Usable).Select(e => (e.Start, (YNode)e.Node)).ToList();
        var belowTotal = below.Aggregate(0UL, (s, e) => s + e.Size);
        var remaining = bytes;
        foreach (var e in below)
        {
            if (remaining == 0) break;
            if (e.Size <= remaining) kept.Add((e.Start, e.Node));
            else kept.Add((e.Start, NewEntry(e.Start, e.Start + remaining - 1, at)));
            remaining -= Math.Min(remaining, e.Size);
        }
        if (bytes > belowTotal) kept.Add((FourGiB, NewEntry(FourGiB, FourGiB + (bytes - belowTotal) - 1, at)));
        var items = kept.OrderBy(k => k.Start).Select(k => k.Item2).ToList();
        return TreeEdits.Replace(root, ["platform", "memory"], memory with { Items = items });
    }

    public static ulong Usable(YNode root)
    {
        var (_, entries) = Read(root, default);
        return entries?.Where(e => e.Usable).Aggregate(0UL, (s, e) => s + e.Size) ?? 0;
    }

    private static (YSequence Memory, List<Entry>? Entries) Read(YNode root, SourceSpan at)
    {
        var memory = root is YMapping top && TreePath.Find(top, "platform") is YMapping p && TreePath.Find(p, "memory") is YSequence s
            ? s
            : throw new InputException(at, "the ram axis needs the scenario's e820 map under platform.memory");
        var entries = new List<Entry>();
        foreach (var item in memory.Items)
        {
            if (item is not YMapping m || !Number(m, "start", out var start) || !Number(m, "end", out var end) || end < start
                || TreePath.Find(m, "type") is not YScalar type)
                return (memory, null);
            entries.Add(new Entry(m, start, end, type.Value == "usable"));
        }
        return (memory, entries);
    }

    private static bool Number(YMapping m, string key, out ulong value)
    {
        value = 0;
        return TreePath.Find(m, key) is YScalar s && ScenarioNumber.TryParse(s.Value, out value, out _);
    }

    private static YMapping NewEntry(ulong start, ulong end, SourceSpan at) => new(
        [
            new(new YScalar("start", false, at), new YScalar(Hex.Format(start), false, at)),
            new(new YScalar("end", false, at), new YScalar(Hex.Format(end), false, at)),
            new(new YScalar("type", false, at), new YScalar("usable", false, at)),
        ], at);
}
