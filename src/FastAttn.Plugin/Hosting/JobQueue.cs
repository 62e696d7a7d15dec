using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The engine's bounded queue and its workers: <c>concurrency</c> jobs run at a time, a full queue refuses at once, a job
/// cancelled while waiting is skipped, cancellation (the caller's or the shutdown's) reaches a running job, and a failing
/// job fails only its own task. Workers start with the first job or <see cref="EnsureWorkers"/>.
/// </summary>
internal sealed class JobQueue(int capacity, int concurrency, ILogger logger) : IDisposable
{
    private readonly Channel<GenerationJob> _queue = Channel.CreateUnbounded<GenerationJob>();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _startLock = new();
    private Task[]? _workers;
    private int _running;
    private int _waiting;

    /// <summary>Jobs that may wait.</summary>
    public int Capacity => capacity;

    /// <summary>Jobs waiting (a job cancelled while waiting no longer counts).</summary>
    public int Depth => Volatile.Read(ref _waiting);

    /// <summary>Jobs running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Cancelled when the queue stops (the host's shutdown).</summary>
    public CancellationToken Stopping => _shutdown.Token;

    /// <summary>Whether the queue has stopped taking jobs.</summary>
    public bool IsStopped => _shutdown.IsCancellationRequested;

    /// <summary>Queues <paramref name="job"/> or fails at once with <see cref="FastAttnQueueFullException"/>.</summary>
    public Task<T> Enqueue<T>(GenerationJob<T> job)
    {
        ObjectDisposedException.ThrowIf(IsStopped, this);
        if (Interlocked.Increment(ref _waiting) > capacity)
        {
            Interlocked.Decrement(ref _waiting);
            throw new FastAttnQueueFullException(capacity);
        }
        if (!_queue.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ObjectDisposedException(nameof(JobQueue));
        }
        job.CancelWhileQueued(Left);
        EnsureWorkers();
        return job.Task;
    }

    /// <summary>Starts the workers (once).</summary>
    public void EnsureWorkers()
    {
        if (_workers is not null) return;
        lock (_startLock)
        {
            _workers ??= Enumerable.Range(0, concurrency)
                .Select(_ => Task.Factory.StartNew(() => WorkerAsync(_shutdown.Token), CancellationToken.None, TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).Unwrap())
                .ToArray();
        }
    }

    /// <summary>Stops taking jobs, cancels the waiting ones and the running ones, and waits for the workers.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var job))
        {
            if (job.LeaveQueue()) Left();
            job.Cancel(_shutdown.Token);
        }
        if (_workers is Task[] workers) await Task.WhenAll(workers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_shutdown.IsCancellationRequested) _shutdown.Cancel();
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out var job)) job.Cancel(CancellationToken.None);
        try { if (_workers is Task[] workers) Task.WaitAll(workers, TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { }
        _shutdown.Dispose();
    }

    private async Task WorkerAsync(CancellationToken shutdown)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(shutdown).ConfigureAwait(false))
                await RunAsync(job, shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested) { }
    }

    private void Left() => Interlocked.Decrement(ref _waiting);

    private async Task RunAsync(GenerationJob job, CancellationToken shutdown)
    {
        if (job.LeaveQueue()) Left();
        if (job.IsCompleted) return;                                                           // cancelled while queued
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.CallerToken, shutdown);
        Interlocked.Increment(ref _running);
        try
        {
            await job.RunAsync(job.Queued.Elapsed, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            job.Cancel(job.CallerToken.IsCancellationRequested ? job.CallerToken : shutdown);
        }
        catch (Exception e)
        {
            if (e is FastAttnRequestException) logger.LogInformation("FastAttn request refused: {Message}", e.Message);
            else logger.LogError(e, "FastAttn generation failed for model {Model}", job.Model);
            job.Fail(e);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
