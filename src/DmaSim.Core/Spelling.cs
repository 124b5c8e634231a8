namespace DmaSim.Core;

/// <summary>Near misses: turns a typo (an unknown key, word or option) into a "did you mean".</summary>
public static class Spelling
{
    /// <summary>The closest candidate within two edits, or null.</summary>
    public static string? Suggest(string text, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = 3;
        foreach (var c in candidates)
        {
            // Lengths further apart than the best distance cannot come closer; this also keeps a huge
            // token from costing length × length.
            if (Math.Abs(c.Length - text.Length) >= bestDistance) continue;
            var d = Distance(text, c);
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) row[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
