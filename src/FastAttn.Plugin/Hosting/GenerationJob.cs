using System.Diagnostics;
using System.Runtime.ExceptionServices;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A queued job (images or a clip): the checked request, the model and quality it asked for, and the caller's token. A
/// worker prepares it once (<see cref="Prepare"/>), runs it alone or in a batch, and completes its task.
/// </summary>
internal abstract class GenerationJob(string model, GenerationRequest request, OutputKind kind, Quality quality, CancellationToken callerToken)
{
    private readonly Lock _prepareLock = new();
    private PreparedGeneration? _prepared;
    private ExceptionDispatchInfo? _refused;
    private int _waiting = 1;

    public string Model { get; } = model;

    public GenerationRequest Request { get; } = request;

    /// <summary>What the caller asked for: images or a clip.</summary>
    public OutputKind Kind { get; } = kind;

    public Quality Quality { get; } = quality;

    /// <summary>Items the job generates.</summary>
    public int Items => Request.Count;

    public CancellationToken CallerToken { get; } = callerToken;

    /// <summary>Where the caller wants each step reported (null: nowhere).</summary>
    public IProgress<FastAttnProgress>? Progress { get; init; }

    public Stopwatch Queued { get; } = Stopwatch.StartNew();

    public abstract bool IsCompleted { get; }

    /// <summary>Whether this call took the job out of the queue's count (once: when dequeued, or cancelled while waiting).</summary>
    public bool LeaveQueue() => Interlocked.Exchange(ref _waiting, 0) == 1;

    /// <summary>
    /// The job prepared on <paramref name="loaded"/> by <paramref name="prepare"/>, once: later calls (a worker forming a batch
    /// and the one taking the job) get the same generation, or the same refusal.
    /// </summary>
    public PreparedGeneration Prepare(IGenerativeModel loaded, Func<IGenerativeModel, GenerationJob, PreparedGeneration> prepare)
    {
        lock (_prepareLock)
        {
            _refused?.Throw();
            if (_prepared is not null) return _prepared;
            try { return _prepared = prepare(loaded, this); }
            catch (Exception e)
            {
                _refused = ExceptionDispatchInfo.Capture(e);
                throw;
            }
        }
    }

    /// <summary>Completes the caller's task with the result assembled from <paramref name="finished"/>.</summary>
    public abstract void Complete(FinishedJob finished, TimeSpan queueWait);

    public abstract void Cancel(CancellationToken token);

    public abstract void Fail(Exception e);

    /// <summary>
    /// A caller that gives up gets its task cancelled at once, wherever the job is; <paramref name="cancelled"/> then runs
    /// (the queue frees its place; the worker skips it, or drops it from its batch).
    /// </summary>
    public abstract void OnCallerCancel(Action<GenerationJob> cancelled);
}

/// <summary>
/// A job whose task completes with a <typeparamref name="T"/>, made from the finished job by <paramref name="assemble"/>. A result
/// assembled (its files saved) after the caller gave up is handed to <see cref="Abandoned"/>, which removes its files: the caller
/// sees either the result with its files, or the cancellation and no file.
/// </summary>
internal sealed class GenerationJob<T>(string model, GenerationRequest request, OutputKind kind, Quality quality, CancellationToken callerToken,
    Func<FinishedJob, TimeSpan, T> assemble) : GenerationJob(model, request, kind, quality, callerToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    /// <summary>Removes the files of a result nobody will receive (its caller cancelled while it was being saved).</summary>
    public Action<T>? Abandoned { get; init; }

    public override bool IsCompleted => _completion.Task.IsCompleted;

    public override void Complete(FinishedJob finished, TimeSpan queueWait)
    {
        T result;
        try { result = assemble(finished, queueWait); }
        catch (Exception e)
        {
            _completion.TrySetException(e);
            return;
        }
        if (!_completion.TrySetResult(result)) Abandoned?.Invoke(result);                   // cancelled mid-save: no file stays
    }

    public override void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);

    public override void Fail(Exception e) => _completion.TrySetException(e);

    public override void OnCallerCancel(Action<GenerationJob> cancelled)
    {
        if (!CallerToken.CanBeCanceled) return;
        var registration = CallerToken.Register(() =>
        {
            _completion.TrySetCanceled(CallerToken);
            cancelled(this);
        });
        _completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
    }
}
