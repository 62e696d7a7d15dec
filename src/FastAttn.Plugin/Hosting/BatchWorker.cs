using FastAttn.Plugin.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// One turn of a queue worker: takes the oldest job, forms its batch (<see cref="BatchFormer"/>) and runs it as one
/// <see cref="Engine.Generation.PreparedGeneration.RunTogether"/> call on one of the engine's <see cref="GenerationThreads"/>.
/// A member whose caller cancels gets its cancellation at once and its items are dropped; the others complete intact; the
/// run itself is cancelled only when every member is (or at shutdown). A failing run fails its members only.
/// </summary>
internal sealed class BatchWorker(BatchFormer former, JobFailures failures, BatchStatistics statistics, GenerationThreads threads)
{
    /// <summary>Takes, forms and runs one batch from <paramref name="queue"/>.</summary>
    public async Task RunOnceAsync(JobQueue queue, CancellationToken shutdown)
    {
        var head = await queue.TakeAsync(shutdown).ConfigureAwait(false);
        var members = await former.FormAsync(queue, head, shutdown).ConfigureAwait(false);
        if (members is not null) await RunAsync(queue, members, shutdown).ConfigureAwait(false);
    }

    private async Task RunAsync(JobQueue queue, IReadOnlyList<StagedJob> members, CancellationToken shutdown)
    {
        var waits = members.Select(m => m.Job.Queued.Elapsed).ToArray();
        using var run = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        int live = members.Count;
        var registrations = members.Select(m => m.Job.CallerToken.Register(() =>
        {
            m.Job.Cancel(m.Job.CallerToken);                                                   // the caller sees it at once
            if (Interlocked.Decrement(ref live) == 0) run.Cancel();                            // nobody wants the batch any more
        })).ToArray();
        int items = members.Sum(m => m.Prepared.Count);
        try
        {
            using var running = queue.Run(members.Count);
            var plan = members[0].Plan?.Plan;
            var rendered = await threads.Run(() => GenerationRunner.Render(members, plan, i => !members[i].Job.IsCompleted, run.Token),
                run.Token).ConfigureAwait(false);
            statistics.Record(members[0].Job.Model, items);
            for (int i = 0; i < members.Count; i++)
            {
                var m = members[i];
                if (rendered[i] is Rendered r && !m.Job.IsCompleted)
                    m.Job.Complete(new FinishedJob(m.Job.Model, m.Job.Quality, m.Prepared, m.Plan, r), waits[i]);
            }
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            foreach (var m in members) m.Job.Cancel(m.Job.CallerToken.IsCancellationRequested ? m.Job.CallerToken : shutdown);
        }
        catch (Exception e)
        {
            failures.Fail(members.Select(m => m.Job).ToArray(), e);
        }
        finally
        {
            foreach (var registration in registrations) registration.Dispose();
        }
    }
}

/// <summary>Fails jobs with the error that stopped them, logged once: a refused request as information, anything else as an error.</summary>
internal sealed class JobFailures(ILogger logger)
{
    public void Fail(GenerationJob job, Exception e) => Fail([job], e);

    public void Fail(IReadOnlyList<GenerationJob> jobs, Exception e)
    {
        if (e is FastAttnRequestException) logger.LogInformation("FastAttn request refused: {Message}", e.Message);
        else logger.LogError(e, "FastAttn generation failed for model {Model} ({Jobs} job(s))", jobs[0].Model, jobs.Count);
        foreach (var job in jobs) job.Fail(e);
    }
}

/// <summary>Batches run and their items, for the engine's status and the <c>FastAttn</c> meter.</summary>
internal sealed class BatchStatistics(FastAttnBatchTelemetry telemetry)
{
    private long _batches, _items;

    /// <summary>Batches run (a job alone counts as a batch of its items).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Mean items per batch (0 before the first).</summary>
    public double MeanBatchSize
    {
        get
        {
            long batches = Batches;
            return batches == 0 ? 0 : (double)Interlocked.Read(ref _items) / batches;
        }
    }

    public void Record(string model, int items)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _items, items);
        telemetry.Record(model, items);
    }
}
