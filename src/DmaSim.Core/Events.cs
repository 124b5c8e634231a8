namespace DmaSim.Core;

/// <summary>
/// One typed event of a run, like a tracepoint. Layers define their own event records; checkers,
/// reports and tests consume the stream. Nothing in the model prints.
/// </summary>
public abstract record SimEvent
{
    /// <summary>Simulated time at which the event happened (stamped by the stream when it is emitted).</summary>
    public ulong TimeNs { get; internal set; }
}

/// <summary>A kernel log line, in the era's wording (without the timestamp).</summary>
public sealed record LogEvent(string Line) : SimEvent;

/// <summary>The event stream of one simulated machine (never static: one per run).</summary>
public sealed class EventStream
{
    private readonly List<SimEvent> _events = [];
    private readonly List<Action<SimEvent>> _observers = [];
    private readonly SimClock _clock;

    public EventStream(SimClock clock) => _clock = clock;

    public SimClock Clock => _clock;
    public IReadOnlyList<SimEvent> Events => _events;

    /// <summary>Keep every event (default) or only hand them to observers (sweeps and benchmarks).</summary>
    public bool Record { get; set; } = true;

    public void Subscribe(Action<SimEvent> observer) => _observers.Add(observer);

    /// <summary>Stamps the event with the current simulated time, records it and hands it to observers.</summary>
    public T Emit<T>(T e) where T : SimEvent
    {
        // Stamped in place: an event is emitted once, and copying every record cost more than the event.
        e.TimeNs = _clock.NowNs;
        if (Record) _events.Add(e);
        foreach (var o in _observers) o(e);
        return e;
    }

    public void Log(string line) => Emit(new LogEvent(line));

    public IEnumerable<string> LogLines() => _events.OfType<LogEvent>().Select(e => e.Line);
}
