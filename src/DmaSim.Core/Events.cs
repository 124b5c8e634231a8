using System.Runtime.CompilerServices;

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
    // Observers and, for each, the exact event type it takes (null: every event). Emit compares the event's type
    // with it (a pointer compare) instead of a cast check per observer per event in shared generic code.
    private Action<SimEvent>[] _observers = [];
    private Type?[] _observedTypes = [];
    private readonly SimClock _clock;
    // Event types some observer asked for by type, indexed by EventTypeId<T>.Value (one array read per
    // Wants instead of a scan of the types); an observer of every event (Subscribe) wants all.
    private bool[] _interests = [];
    private bool _observesAll;
    // Types kept even when Record is off (a run's result needs its log, not its millions of other events).
    private Type[] _keptTypes = [];

    public EventStream(SimClock clock) => _clock = clock;

    public SimClock Clock => _clock;
    public IReadOnlyList<SimEvent> Events => _events;

    /// <summary>Keep every event (default) or only hand them to observers (sweeps and benchmarks).</summary>
    public bool Record { get; set; } = true;

    /// <summary>Keeps the events of type <typeparamref name="T"/> (exact type) even when <see cref="Record"/> is off.</summary>
    public void Keep<T>() where T : SimEvent
    {
        _keptTypes = [.. _keptTypes, typeof(T)];
        MarkInterest<T>();
    }

    /// <summary>An observer of every event (so <see cref="Wants{T}"/> is true for every type).</summary>
    public void Subscribe(Action<SimEvent> observer)
    {
        AddObserver(null, observer);
        _observesAll = true;
    }

    /// <summary>An observer of the events of type <typeparamref name="T"/> only (exact type).</summary>
    public void Subscribe<T>(Action<T> observer) where T : SimEvent
    {
        ArgumentNullException.ThrowIfNull(observer);
        // Dispatch hands this observer only events whose type is exactly T, so T must have no subtypes to miss.
        if (!typeof(T).IsSealed) throw new ArgumentException($"typed subscriptions take a sealed event type; {typeof(T).Name} is not sealed", nameof(observer));
        AddObserver(typeof(T), e => observer(Unsafe.As<T>(e)));
        MarkInterest<T>();
    }

    private void AddObserver(Type? exactType, Action<SimEvent> observer)
    {
        _observers = [.. _observers, observer];
        _observedTypes = [.. _observedTypes, exactType];
    }

    private void MarkInterest<T>() where T : SimEvent
    {
        var id = EventTypeId<T>.Value;
        if (id >= _interests.Length) Array.Resize(ref _interests, id + 1);
        _interests[id] = true;
    }

    /// <summary>
    /// Whether an event of type <typeparamref name="T"/> would be kept or seen by anyone. Hot paths ask
    /// before building an event, so millions of unobserved events cost no allocation (issue 13).
    /// </summary>
    public bool Wants<T>() where T : SimEvent => Wants(EventTypeId<T>.Value);

    /// <summary>
    /// <see cref="Wants{T}"/> by the type's number (<see cref="TypeIdOf{T}"/>, kept in a static readonly field by
    /// hot paths): for a reference type T the generic form looks its static up at run time on every call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Wants(int eventTypeId)
    {
        if (Record || _observesAll) return true;
        var interests = _interests;
        return (uint)eventTypeId < (uint)interests.Length && interests[eventTypeId];
    }

    /// <summary>The number <see cref="Wants(int)"/> takes for events of type <typeparamref name="T"/>.</summary>
    public static int TypeIdOf<T>() where T : SimEvent => EventTypeId<T>.Value;

    private static int _nextEventTypeId;

    /// <summary>A small number per event type, given out the first time the type is asked about (process-wide).</summary>
    private static class EventTypeId<T> where T : SimEvent
    {
        public static readonly int Value = Interlocked.Increment(ref _nextEventTypeId) - 1;
    }

    /// <summary>Stamps the event with the current simulated time, records it and hands it to observers.</summary>
    public T Emit<T>(T e) where T : SimEvent
    {
        // Stamped in place: an event is emitted once, and copying every record cost more than the event.
        e.TimeNs = _clock.NowNs;
        if (Record || (_keptTypes.Length != 0 && Array.IndexOf(_keptTypes, e.GetType()) >= 0)) _events.Add(e);
        var observers = _observers;
        if (observers.Length != 0) Dispatch(e, observers);
        return e;
    }

    private void Dispatch(SimEvent e, Action<SimEvent>[] observers)
    {
        var type = e.GetType();
        var types = _observedTypes;
        for (var i = 0; i < observers.Length; i++)
        {
            var t = types[i];
            if (t is null || t == type) observers[i](e);
        }
    }

    public void Log(string line) => Emit(new LogEvent(line));

    public IEnumerable<string> LogLines() => _events.OfType<LogEvent>().Select(e => e.Line);
}
