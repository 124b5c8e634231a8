namespace DmaSim.Core;

/// <summary>Simulated time in nanoseconds. Nothing in the model reads the host clock.</summary>
public sealed class SimClock
{
    public ulong NowNs { get; private set; }
    public void Advance(ulong ns) => NowNs += ns;

    /// <summary>dmesg-style timestamp, "[    0.000000]".</summary>
    public string Stamp() => Stamp(NowNs);

    /// <summary>The dmesg-style timestamp of a simulated instant.</summary>
    public static string Stamp(ulong ns) => $"[{ns / 1_000_000_000,5}.{ns / 1000 % 1_000_000:D6}]";

    /// <summary>A log line as dmesg prints it, its timestamp first: one string, not a stamp and a concatenation.</summary>
    public static string Stamped(ulong ns, string line) => $"[{ns / 1_000_000_000,5}.{ns / 1000 % 1_000_000:D6}] {line}";
}
