using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;

namespace FastAttn.Plugin.Hosting;

/// <summary>How the engine groups queued jobs: items per batch, how long to wait for more, and the memory cap.</summary>
/// <param name="MaxBatch">Items per batch at most (1: every job runs alone).</param>
/// <param name="Window">How long a batch that is not full waits for more jobs (zero: it runs with what is queued).</param>
/// <param name="MaxBytes">Cap on <see cref="PreparedGeneration.ItemBytes"/> × items (a job alone always runs).</param>
internal sealed record BatchPolicy(int MaxBatch, TimeSpan Window, long MaxBytes);

/// <summary>
/// Forms a batch around the oldest job, from the jobs waiting in the <see cref="JobQueue"/>: those on the same model with
/// an equal, non-null <see cref="PreparedGeneration.BatchKey"/> and the same resolved plan, up to the policy's items and
/// memory, oldest first, waiting up to its window for more when not full. A job that cannot be prepared fails alone.
/// </summary>
internal sealed class BatchFormer(BatchPolicy policy, GenerationRunner runner, JobFailures failures, TimeProvider time)
{
    /// <summary>The batch led by <paramref name="head"/> (taken from the queue); null when the head itself failed or was cancelled.</summary>
    public async Task<IReadOnlyList<StagedJob>?> FormAsync(JobQueue queue, GenerationJob head, CancellationToken shutdown)
    {
        var first = await TryStageAsync(head, shutdown).ConfigureAwait(false);
        if (first is null) return null;
        var members = new List<StagedJob> { first };
        if (policy.MaxBatch <= 1 || first.Prepared.BatchKey is null) return members;
        try { await GrowAsync(queue, first, members, shutdown).ConfigureAwait(false); }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested) { }             // the run cancels every member
        return members;
    }

    /// <summary>Gathers from the queue until the batch is full or, after its window, when nothing more fits.</summary>
    private async Task GrowAsync(JobQueue queue, StagedJob first, List<StagedJob> members, CancellationToken shutdown)
    {
        int items = first.Prepared.Count;
        long started = time.GetTimestamp();
        while (items < policy.MaxBatch && !shutdown.IsCancellationRequested)
        {
            var arrival = queue.NextArrival;
            items = await GatherAsync(queue, first, members, items, shutdown).ConfigureAwait(false);
            var left = policy.Window - time.GetElapsedTime(started);
            if (items >= policy.MaxBatch || left <= TimeSpan.Zero) break;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
            var delay = Task.Delay(left, time, stop.Token);
            await Task.WhenAny(arrival, delay).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            if (!arrival.IsCompleted) break;                                                   // the window has passed
        }
    }

    /// <summary>Adds the waiting jobs that fit <paramref name="first"/>'s batch; returns the batch's items.</summary>
    private async Task<int> GatherAsync(JobQueue queue, StagedJob first, List<StagedJob> members, int items, CancellationToken shutdown)
    {
        var key = first.Prepared.BatchKey;
        long itemBytes = first.Prepared.ItemBytes;
        var candidates = queue.Waiting(j => j.Model == first.Job.Model && j.Kind == first.Job.Kind && j.Quality == first.Job.Quality);
        foreach (var job in candidates)
        {
            if (items >= policy.MaxBatch) break;
            int total = items + job.Items;
            if (total > policy.MaxBatch || (itemBytes > 0 && itemBytes * total > policy.MaxBytes)) continue;
            PreparedGeneration prepared;
            try { prepared = job.Prepare(first.Loaded, GenerationRunner.Prepare); }
            catch (Exception e)
            {
                if (queue.TryTake(job)) failures.Fail(job, e);                                // a bad request fails alone
                continue;
            }
            if (prepared.BatchKey != key) continue;
            var (resolved, plan) = await PlanOfAsync(first, job, prepared, shutdown).ConfigureAwait(false);
            if (!resolved || !ReferenceEquals(plan?.Plan, first.Plan?.Plan) || !queue.TryTake(job)) continue;
            members.Add(new StagedJob(job, first.Loaded, prepared, plan));
            items = total;
        }
        return items;
    }

    /// <summary>
    /// A candidate's plan (the head's key resolves from the resolver's cache); not resolved when that fails: the job then
    /// runs on its own later and reports the failure there.
    /// </summary>
    private async Task<(bool Resolved, ResolvedPlan? Plan)> PlanOfAsync(StagedJob first, GenerationJob job, PreparedGeneration prepared,
        CancellationToken shutdown)
    {
        try { return (true, await runner.PlanAsync(first.Loaded, prepared, job.Quality, shutdown).ConfigureAwait(false)); }
        catch (Exception e) when (e is not OperationCanceledException || !shutdown.IsCancellationRequested) { return (false, null); }
    }

    /// <summary>Stages the head; a failure or cancellation completes its task and gives null.</summary>
    private async Task<StagedJob?> TryStageAsync(GenerationJob job, CancellationToken shutdown)
    {
        if (job.IsCompleted) return null;                                                      // cancelled while queued
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.CallerToken, shutdown);
        try
        {
            return await runner.StageAsync(job, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            job.Cancel(job.CallerToken.IsCancellationRequested ? job.CallerToken : shutdown);
        }
        catch (Exception e)
        {
            failures.Fail(job, e);
        }
        return null;
    }
}
