using System.Collections.Concurrent;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// A fixed set of long-lived threads that run the engine's generations (one per <see cref="Options.FastAttnOptions.Concurrency"/>).
/// A thread of its own per batch (what <see cref="TaskCreationOptions.LongRunning"/> gives) made native per-thread state anew
/// for every batch — a glibc malloc arena (which, with <see cref="Options.FastAttnOptions.RetainNativeMemory"/>, keeps its peak),
/// OpenMP's thread team, libtorch's thread-locals — and the process's resident memory grew with every batch (issue #21's
/// soak: 2–3 MB per request). Reusing the same threads keeps that state, and the memory, flat.
/// </summary>
internal sealed class GenerationThreads : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = [];
    private readonly Thread[] _threads;
    private readonly Action? _afterEach;

    /// <summary>
    /// Starts <paramref name="count"/> background threads named "FastAttn generation"; <paramref name="afterEach"/> runs on
    /// the thread after each piece of work (its exceptions are the caller's to avoid).
    /// </summary>
    public GenerationThreads(int count, Action? afterEach = null)
    {
        _afterEach = afterEach;
        _threads = Enumerable.Range(0, Math.Max(1, count)).Select(i => new Thread(Loop)
        {
            IsBackground = true, Name = $"FastAttn generation {i}",
        }).ToArray();
        foreach (var thread in _threads) thread.Start();
    }

    /// <inheritdoc />
    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>Runs <paramref name="work"/> on one of the threads.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, this);

    /// <inheritdoc />
    protected override void QueueTask(Task task) => _tasks.Add(task);

    /// <inheritdoc />
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;       // only on these threads

    /// <inheritdoc />
    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    /// <summary>Lets the threads finish the tasks queued and end.</summary>
    public void Dispose() => _tasks.CompleteAdding();

    private void Loop()
    {
        foreach (var task in _tasks.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
            _afterEach?.Invoke();
        }
    }
}
