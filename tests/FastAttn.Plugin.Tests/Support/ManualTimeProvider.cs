namespace FastAttn.Plugin.Tests.Support;

/// <summary>
/// A clock the test moves (<see cref="Advance"/>): timers fire only then. <see cref="WaitTimerAsync"/> completes when the
/// code under test has started a timer (e.g. a batch waiting for its window), so tests wait on events, not time.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly SemaphoreSlim _created = new(0);
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _now);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        _created.Release();
        return timer;
    }

    /// <summary>Waits until a timer has been created; fails after two minutes (a hang, not a timing).</summary>
    public async Task WaitTimerAsync()
    {
        if (!await _created.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false)) throw new TimeoutException("No timer was started.");
    }

    /// <summary>Moves the clock by <paramref name="by"/> and fires the timers now due.</summary>
    public void Advance(TimeSpan by)
    {
        long now = Interlocked.Add(ref _now, by.Ticks);
        ManualTimer[] due;
        lock (_lock) due = _timers.Where(t => t.Due <= now).ToArray();
        foreach (var timer in due) timer.Fire();
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; private set; } = long.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                owner._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                Due = owner.GetTimestamp() + dueTime.Ticks;
                owner._timers.Add(this);
            }
            return true;
        }

        public void Fire()
        {
            lock (owner._lock) owner._timers.Remove(this);
            callback(state);
        }

        public void Dispose()
        {
            lock (owner._lock) owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
