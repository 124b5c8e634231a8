using DmaSim.Core;

namespace DmaSim.Hardware.Memory;

/// <summary>The firmware memory map types the scenario format names (BIOS e820 types 1–5).</summary>
public enum E820Type
{
    Usable = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
}

public readonly record struct E820Entry(PhysRange Range, E820Type Type)
{
    /// <summary>The kernel's wording in "BIOS-e820: [mem 0x...-0x...] usable".</summary>
    public string KernelName => Type switch
    {
        E820Type.Usable => "usable",
        E820Type.Reserved => "reserved",
        E820Type.Acpi => "ACPI data",
        E820Type.Nvs => "ACPI NVS",
        E820Type.Unusable => "unusable",
        _ => "type " + ((int)Type).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The e820 map: sorted, non-overlapping entries; gaps are holes. Hot-added memory extends it at run time.
/// </summary>
public sealed class E820Map
{
    private readonly List<E820Entry> _entries;

    public E820Map(IEnumerable<E820Entry> entries)
    {
        _entries = [.. entries.OrderBy(e => e.Range.Start.Value)];
        for (var i = 1; i < _entries.Count; i++)
        {
            if (_entries[i - 1].Range.Overlaps(_entries[i].Range))
                throw new ArgumentException($"e820 entries {_entries[i - 1].Range} and {_entries[i].Range} overlap");
        }
    }

    public IReadOnlyList<E820Entry> Entries => _entries;
    public IEnumerable<PhysRange> UsableRanges => _entries.Where(e => e.Type == E820Type.Usable).Select(e => e.Range);

    /// <summary>max_pfn: one past the highest usable page (holes below it do not matter).</summary>
    public ulong MaxPfn => _entries.Where(e => e.Type == E820Type.Usable).Select(e => (e.Range.End.Value >> PhysAddr.PageShift) + 1).DefaultIfEmpty(0UL).Max();

    public E820Type? TypeAt(PhysAddr a)
    {
        foreach (var e in _entries)
            if (e.Range.Contains(a)) return e.Type;
        return null;
    }

    /// <summary>True when the whole range lies in entries of the given type (adjacent entries count).</summary>
    public bool Covers(PhysRange r, E820Type type)
    {
        var cursor = r.Start.Value;
        foreach (var e in _entries)
        {
            if (e.Type != type || e.Range.End.Value < cursor || e.Range.Start.Value > cursor) continue;
            if (e.Range.End.Value >= r.End.Value) return true;
            cursor = e.Range.End.Value + 1;
        }
        return false;
    }

    public void Add(E820Entry entry)
    {
        if (_entries.Any(e => e.Range.Overlaps(entry.Range)))
            throw new ArgumentException($"hot-added range {entry.Range} overlaps the e820 map");
        _entries.Add(entry);
        _entries.Sort((a, b) => a.Range.Start.Value.CompareTo(b.Range.Start.Value));
    }
}
