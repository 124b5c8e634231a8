namespace DmaSim.Core;

/// <summary>Simulated time in nanoseconds. Nothing in the model reads the host clock.</summary>
public sealed class SimClock
{
    public ulong NowNs { get; private set; }
    public void Advance(ulong ns) => NowNs += ns;

    /// <summary>dmesg-style timestamp, "[    0.000000]".</summary>
    public string Stamp() => $"[{NowNs / 1_000_000_000,5}.{NowNs / 1000 % 1_000_000:D6}]";
}
