using System.Collections.Concurrent;
using System.Security.Cryptography;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Jobs;

/// <summary>
/// The server's background jobs: starts each (tracked by the <see cref="DrainCoordinator"/>), completes it with its result
/// or error, and forgets it <see cref="FastAttnServerOptions.JobTtl"/> after it ended (on the server's <see cref="TimeProvider"/>).
/// </summary>
public sealed class JobRegistry(DrainCoordinator drain, IOptions<FastAttnServerOptions> options, TimeProvider time,
    ILogger<JobRegistry> logger)
{
    private readonly ConcurrentDictionary<string, ServerJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates and starts a job: <paramref name="run"/> generates (reporting to the job, cancelled by its token) and returns
    /// the result and the data of the <c>done</c> event.
    /// </summary>
    public ServerJob Start(string prefix, string kind, string model, string preset,
        Func<ServerJob, CancellationToken, Task<(object Result, object Done)>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        drain.ThrowIfDraining();
        Prune();
        var job = new ServerJob(prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), kind, model, preset, time.GetUtcNow());
        var shared = new SharedRun<object>(ct => RunAsync(job, run, ct));
        job.Run = shared;
        _jobs[job.Id] = job;
        drain.Track(shared.Task, shared.Cancel);
        return job;
    }

    /// <summary>Completes when <paramref name="job"/> has ended; faults when it failed or was cancelled (idempotency forgets it then).</summary>
    public static async Task Succeeded(ServerJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await job.Run!.Task.ConfigureAwait(false) is ApiException error) throw error;
    }

    /// <summary>The job <paramref name="id"/>, or the 404.</summary>
    public ServerJob Get(string id, string? kind = null) =>
        _jobs.TryGetValue(id, out var job) && (kind is null || job.Kind == kind) ? job : throw ApiException.NotFound($"The job '{id}'");

    /// <summary>The result, or the <see cref="ApiException"/> the job ended with (a job's run never throws).</summary>
    private async Task<object> RunAsync(ServerJob job, Func<ServerJob, CancellationToken, Task<(object Result, object Done)>> run,
        CancellationToken cancellationToken)
    {
        try
        {
            var (result, done) = await run(job, cancellationToken).ConfigureAwait(false);
            job.Complete(result, done, time.GetUtcNow());
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var error = drain.IsDraining ? ErrorMapping.Draining(options.Value.RetryAfterSeconds)
                : new ApiException(499, "The job was cancelled: every client watching it went away.", ErrorTypes.InvalidRequest, null, "cancelled");
            job.Fail(error, cancelled: true, time.GetUtcNow());
            return error;
        }
        catch (Exception e)
        {
            var error = ErrorMapping.ToApiException(e, options.Value.RetryAfterSeconds);
            if (error.Status == StatusCodes.Status500InternalServerError) logger.LogError(e, "Job {Id} failed", job.Id);
            job.Fail(error, cancelled: false, time.GetUtcNow());
            return error;
        }
    }

    private void Prune()
    {
        var cutoff = time.GetUtcNow() - options.Value.JobTtl;
        foreach (var (id, job) in _jobs)
            if (job.CompletedAt is DateTimeOffset ended && ended <= cutoff) _jobs.TryRemove(id, out _);
    }
}
