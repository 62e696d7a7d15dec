using System.Diagnostics;

namespace FastAttn.Plugin.Hosting;

/// <summary>A queued job (images or a clip): one queue, one device. The worker runs it; the caller awaits its task.</summary>
internal abstract class GenerationJob(string model, CancellationToken callerToken)
{
    public string Model { get; } = model;

    public CancellationToken CallerToken { get; } = callerToken;

    public Stopwatch Queued { get; } = Stopwatch.StartNew();

    private int _waiting = 1;

    public abstract bool IsCompleted { get; }

    /// <summary>Whether this call took the job out of the queue's count (once: when dequeued, or cancelled while waiting).</summary>
    public bool LeaveQueue() => Interlocked.Exchange(ref _waiting, 0) == 1;

    /// <summary>Runs the job after <paramref name="queueWait"/> in the queue and completes the caller's task with the result.</summary>
    public abstract Task RunAsync(TimeSpan queueWait, CancellationToken cancellationToken);

    public abstract void Cancel(CancellationToken token);

    public abstract void Fail(Exception e);
}

/// <summary>A job whose task completes with a <typeparamref name="T"/>.</summary>
internal sealed class GenerationJob<T>(string model, CancellationToken callerToken, Func<TimeSpan, CancellationToken, Task<T>> work)
    : GenerationJob(model, callerToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override bool IsCompleted => _completion.Task.IsCompleted;

    public override async Task RunAsync(TimeSpan queueWait, CancellationToken cancellationToken) =>
        _completion.TrySetResult(await work(queueWait, cancellationToken).ConfigureAwait(false));

    public override void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);

    public override void Fail(Exception e) => _completion.TrySetException(e);

    /// <summary>
    /// A caller that gives up while the job waits gets its task cancelled at once and its place in the queue freed
    /// (<paramref name="left"/>); the worker then skips it.
    /// </summary>
    public void CancelWhileQueued(Action left)
    {
        if (!CallerToken.CanBeCanceled) return;
        var registration = CallerToken.Register(() =>
        {
            if (LeaveQueue()) left();
            _completion.TrySetCanceled(CallerToken);
        });
        _completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
    }
}
