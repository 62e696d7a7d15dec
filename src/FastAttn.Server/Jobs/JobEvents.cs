using System.Runtime.CompilerServices;

namespace FastAttn.Server.Jobs;

/// <summary>One server-sent event of a job: its name (<c>progress</c>, <c>done</c>, <c>error</c>) and JSON data.</summary>
/// <param name="Name">The event's name.</param>
/// <param name="Data">Its data, serialized as JSON.</param>
public sealed record JobEvent(string Name, object Data);

/// <summary>
/// A job's events, kept in order so that every reader — however late it subscribes — reads all of them from the first;
/// readers wait on a signal, never poll. Completes after <c>done</c> or <c>error</c>.
/// </summary>
public sealed class JobEvents
{
    private readonly Lock _lock = new();
    private readonly List<JobEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _completed;

    /// <summary>Adds <paramref name="e"/>; <paramref name="last"/> ends the stream. Events after the end are dropped.</summary>
    public void Add(JobEvent e, bool last = false)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            if (_completed) return;
            _events.Add(e);
            _completed = last;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The events so far.</summary>
    public IReadOnlyList<JobEvent> Snapshot()
    {
        lock (_lock) return [.. _events];
    }

    /// <summary>Every event from the first, as they come, until the last.</summary>
    public async IAsyncEnumerable<JobEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int next = 0;
        while (true)
        {
            JobEvent[] fresh;
            bool completed;
            Task changed;
            lock (_lock)
            {
                fresh = _events.Skip(next).ToArray();
                completed = _completed;
                changed = _changed.Task;
            }
            foreach (var e in fresh) yield return e;
            next += fresh.Length;
            if (completed) yield break;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
