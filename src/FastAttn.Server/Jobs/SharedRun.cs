namespace FastAttn.Server.Jobs;

/// <summary>
/// One generation that several waiters may share (an <c>Idempotency-Key</c> repeated, a job watched by several event
/// streams): it is cancelled when the last waiter goes away before it ends, or when the server's drain gives up on it.
/// A run nobody ever waited on (a job only polled) runs to the end.
/// </summary>
public sealed class SharedRun<T>
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly Lock _lock = new();
    private int _waiters;

    /// <summary>Starts <paramref name="start"/> with the run's token.</summary>
    public SharedRun(Func<CancellationToken, Task<T>> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        Task = RunAsync(start);
    }

    /// <summary>The generation.</summary>
    public Task<T> Task { get; }

    /// <summary>The run's token (cancelled by the last waiter leaving, or by <see cref="Cancel"/>).</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Whether it was cancelled.</summary>
    public bool IsCancellationRequested => _cancel.IsCancellationRequested;

    /// <summary>
    /// Waits for the result as one waiter; <paramref name="waiter"/> cancelled (the client went away) ends this wait, and
    /// the run too when no other waiter is left.
    /// </summary>
    public async Task<T> WaitAsync(CancellationToken waiter)
    {
        using var lease = Enter(waiter);
        return await Task.WaitAsync(waiter).ConfigureAwait(false);
    }

    /// <summary>Counts one waiter until the lease is disposed or <paramref name="waiter"/> is cancelled.</summary>
    public IDisposable Enter(CancellationToken waiter)
    {
        lock (_lock) _waiters++;
        var lease = new Lease(this);
        lease.Registration = waiter.Register(lease.Dispose);
        return lease;
    }

    /// <summary>Cancels the run whoever waits.</summary>
    public void Cancel()
    {
        try { _cancel.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    private void Leave()
    {
        bool last;
        lock (_lock) last = --_waiters == 0;
        if (last && !Task.IsCompleted) Cancel();
    }

    private async Task<T> RunAsync(Func<CancellationToken, Task<T>> start)
    {
        await System.Threading.Tasks.Task.Yield();
        return await start(_cancel.Token).ConfigureAwait(false);
    }

    private sealed class Lease(SharedRun<T> owner) : IDisposable
    {
        private int _disposed;

        public CancellationTokenRegistration Registration { get; set; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            Registration.Dispose();
            owner.Leave();
        }
    }
}
