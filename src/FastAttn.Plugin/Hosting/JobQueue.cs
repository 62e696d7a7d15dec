namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The engine's bounded queue and its workers: up to <c>capacity</c> jobs wait, a full queue refuses at once, a job
/// cancelled while waiting leaves at once, and <c>concurrency</c> workers (started with the first job or
/// <see cref="EnsureWorkers"/>) each run <c>work</c>, which takes the oldest job (<see cref="TakeAsync"/>) and may take
/// others that can share its run (<see cref="Waiting"/>, <see cref="TryTake"/>). Stopping cancels the waiting jobs.
/// </summary>
internal sealed class JobQueue(int capacity, int concurrency, Func<JobQueue, CancellationToken, Task> work) : IDisposable
{
    private readonly List<GenerationJob> _pending = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private TaskCompletionSource _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>Completes when the next job is queued (take it before looking at <see cref="Waiting"/>, so none is missed).</summary>
    public Task NextArrival
    {
        get { lock (_lock) return _arrival.Task; }
    }

    /// <summary>Queues <paramref name="job"/> or fails at once with <see cref="FastAttnQueueFullException"/>.</summary>
    public Task<T> Enqueue<T>(GenerationJob<T> job)
    {
        ObjectDisposedException.ThrowIf(IsStopped, this);
        if (Interlocked.Increment(ref _waiting) > capacity)
        {
            Interlocked.Decrement(ref _waiting);
            throw new FastAttnQueueFullException(capacity);
        }
        TaskCompletionSource arrival;
        lock (_lock)
        {
            if (IsStopped)
            {
                Interlocked.Decrement(ref _waiting);
                throw new ObjectDisposedException(nameof(JobQueue));
            }
            _pending.Add(job);
            arrival = _arrival;
            _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        job.OnCallerCancel(j => TryTake(j));
        arrival.TrySetResult();
        EnsureWorkers();
        return job.Task;
    }

    /// <summary>The jobs waiting now that <paramref name="match"/> accepts, oldest first.</summary>
    public IReadOnlyList<GenerationJob> Waiting(Func<GenerationJob, bool> match)
    {
        lock (_lock) return _pending.Where(j => !j.IsCompleted && match(j)).ToArray();
    }

    /// <summary>Takes <paramref name="job"/> out of the queue; false when it is no longer there (taken or gone).</summary>
    public bool TryTake(GenerationJob job)
    {
        lock (_lock)
        {
            if (!_pending.Remove(job)) return false;
        }
        if (job.LeaveQueue()) Interlocked.Decrement(ref _waiting);
        return true;
    }

    /// <summary>Takes the oldest waiting job, waiting for one; cancelled by <paramref name="cancellationToken"/>.</summary>
    public async Task<GenerationJob> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task arrival;
            lock (_lock)
            {
                _pending.RemoveAll(j => j.IsCompleted && Left(j));
                if (_pending.Count > 0)
                {
                    var job = _pending[0];
                    _pending.RemoveAt(0);
                    Left(job);
                    return job;
                }
                arrival = _arrival.Task;
            }
            await arrival.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts <paramref name="jobs"/> as running until the returned object is disposed.</summary>
    public IDisposable Run(int jobs)
    {
        Interlocked.Add(ref _running, jobs);
        return new Finished(() => Interlocked.Add(ref _running, -jobs));
    }

    /// <summary>Starts the workers (once).</summary>
    public void EnsureWorkers()
    {
        if (_workers is not null) return;
        lock (_lock)
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
        foreach (var job in Drain()) job.Cancel(_shutdown.Token);
        if (_workers is Task[] workers) await Task.WhenAll(workers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_shutdown.IsCancellationRequested) _shutdown.Cancel();
        foreach (var job in Drain()) job.Cancel(CancellationToken.None);
        try { if (_workers is Task[] workers) Task.WaitAll(workers, TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { }
        _shutdown.Dispose();
    }

    private GenerationJob[] Drain()
    {
        lock (_lock)
        {
            var jobs = _pending.ToArray();
            _pending.Clear();
            foreach (var job in jobs) Left(job);
            return jobs;
        }
    }

    private bool Left(GenerationJob job)
    {
        if (job.LeaveQueue()) Interlocked.Decrement(ref _waiting);
        return true;
    }

    private async Task WorkerAsync(CancellationToken shutdown)
    {
        try
        {
            while (!shutdown.IsCancellationRequested) await work(this, shutdown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested) { }
    }

    private sealed class Finished(Action done) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) done();
        }
    }
}
