using System.Diagnostics;

namespace FastAttn.Plugin.Hosting;

/// <summary>A queued job (images or a clip): one queue, one device. The worker runs it; the caller awaits its task.</summary>
internal abstract class GenerationJob(string model, CancellationToken callerToken)
{
    public string Model { get; } = model;

    public CancellationToken CallerToken { get; } = callerToken;

    public Stopwatch Queued { get; } = Stopwatch.StartNew();

    public abstract bool IsCompleted { get; }

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

    /// <summary>A caller that gives up while the job waits gets its task cancelled at once (the worker then skips it).</summary>
    public void CancelWhileQueued()
    {
        if (!CallerToken.CanBeCanceled) return;
        var registration = CallerToken.Register(() => _completion.TrySetCanceled(CallerToken));
        _completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
    }
}
