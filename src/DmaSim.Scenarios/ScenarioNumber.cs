using System.Buffers;
using System.Globalization;

namespace DmaSim.Scenarios;

/// <summary>
/// Numbers as the scenario format writes them: decimal (`4096`), `0x` hex (`0xfed90000`), or a decimal
/// count of a binary unit (`4KiB`, `64MiB`, `8GiB`, `16TiB`, also `PiB`, `EiB`). Decimal units (KB, MB,
/// GB…) are refused on purpose: in this field "64MB" nearly always means MiB, and guessing would hide the
/// difference between 64,000,000 and 67,108,864 bytes.
/// </summary>
public static class ScenarioNumber
{
    private static readonly SearchValues<char> _hexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    private static readonly (string Unit, int Shift)[] _units =
        [("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40), ("PiB", 50), ("EiB", 60)];

    /// <summary>The binary units accepted after a decimal count.</summary>
    public static IReadOnlyList<string> Units { get; } = [.. _units.Select(u => u.Unit)];

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says why, in the words of an error message.</summary>
    public static bool TryParse(string text, out ulong value, out string problem)
    {
        value = 0;
        problem = "";
        if (text.Length >= 2 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            var digits = text.AsSpan(2);
            if (!digits.IsEmpty && !digits.ContainsAnyExcept(_hexDigits))
            {
                if (digits.TrimStart('0').Length <= 16)
                {
                    value = ulong.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    return true;
                }
                problem = $"'{text}' does not fit in 64 bits";
                return false;
            }
            problem = $"'{text}' is not a number (hex digits after 0x only)";
            return false;
        }

        var end = 0;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        if (end == 0)
        {
            problem = $"'{text}' is not a number (write decimal, 0x hex, or a size such as 64KiB)";
            return false;
        }

        if (!ulong.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            problem = $"'{text}' does not fit in 64 bits";
            return false;
        }

        var unit = text[end..];
        if (unit.Length == 0)
        {
            value = count;
            return true;
        }

        foreach (var (name, shift) in _units)
        {
            if (unit != name) continue;
            if (count > ulong.MaxValue >> shift)
            {
                problem = $"'{text}' does not fit in 64 bits";
                return false;
            }
            value = count << shift;
            return true;
        }

        problem = $"unknown size unit '{unit}' in '{text}'; units are {string.Join(", ", Units)} (powers of 1024)";
        return false;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with the same wording as the loader's errors.</summary>
    public static ulong Parse(string text) =>
        TryParse(text, out var value, out var problem) ? value : throw new FormatException(problem);
}
