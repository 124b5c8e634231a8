namespace DmaSim.Core.Tests;

/// <summary>
/// <see cref="EventStream.Wants{T}"/>, which hot paths ask before they build an event: true while the
/// stream records, for the exact types an observer subscribed to, and for every type once someone observes
/// all events.
/// </summary>
public sealed class EventStreamTests
{
    private sealed record PingEvent(int N) : SimEvent;

    private sealed record PongEvent(int N) : SimEvent;

    [Fact]
    public void A_stream_that_only_hands_events_to_observers_wants_the_subscribed_types_only()
    {
        var s = new EventStream(new SimClock()) { Record = false };
        Assert.False(s.Wants<PingEvent>());
        Assert.False(s.Wants<LogEvent>());

        var seen = new List<int>();
        s.Subscribe<PingEvent>(p => seen.Add(p.N));
        Assert.True(s.Wants<PingEvent>());
        Assert.False(s.Wants<PongEvent>());
        Assert.False(s.Wants<LogEvent>());
        s.Emit(new PingEvent(7));
        Assert.Equal([7], seen);

        s.Subscribe(_ => { });
        Assert.True(s.Wants<PongEvent>());
    }

    [Fact]
    public void A_recording_stream_wants_every_type() =>
        Assert.True(new EventStream(new SimClock()).Wants<PongEvent>());

    /// <summary>A stream that keeps only log lines (a run's result) keeps them in order and wants nothing else.</summary>
    [Fact]
    public void A_stream_that_keeps_one_type_keeps_only_that_type()
    {
        var s = new EventStream(new SimClock()) { Record = false };
        s.Keep<LogEvent>();
        Assert.True(s.Wants<LogEvent>());
        Assert.False(s.Wants<PingEvent>());
        s.Log("a");
        s.Emit(new PingEvent(1));
        s.Log("b");
        Assert.Equal(["a", "b"], s.LogLines());
        Assert.Equal(2, s.Events.Count);
    }

    /// <summary>Typed observers get only events of their exact type, whatever static type they were emitted as, in subscription order.</summary>
    [Fact]
    public void Each_observer_sees_its_type_only_in_subscription_order()
    {
        var s = new EventStream(new SimClock()) { Record = false };
        var seen = new List<string>();
        s.Subscribe<PingEvent>(p => seen.Add($"ping{p.N}"));
        s.Subscribe(e => seen.Add($"all:{e.GetType().Name}"));
        s.Subscribe<PongEvent>(p => seen.Add($"pong{p.N}"));
        s.Emit(new PingEvent(1));
        s.Emit<SimEvent>(new PongEvent(2));
        s.Log("x");
        Assert.Equal(["ping1", "all:PingEvent", "all:PongEvent", "pong2", "all:LogEvent"], seen);
    }

    private record OpenEvent : SimEvent;

    private sealed record OpenEventKind : OpenEvent;

    /// <summary>Dispatch matches the exact type, so a type with possible subtypes is refused rather than silently missing them.</summary>
    [Fact]
    public void A_typed_subscription_to_an_unsealed_event_type_is_refused()
    {
        var s = new EventStream(new SimClock());
        Assert.Throws<ArgumentException>(() => s.Subscribe<OpenEvent>(_ => { }));
        Assert.Throws<ArgumentException>(() => s.Subscribe<SimEvent>(_ => { }));
    }
}
