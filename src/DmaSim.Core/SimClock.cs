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
}
