using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Hosting;
using FastAttn.Cluster.Options;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Client;

/// <summary>The cluster's jobs through an Orleans client (see <see cref="IFastAttnCluster"/>).</summary>
public sealed class FastAttnClusterClient(IClusterClient client, ResultStore results, IOptions<FastAttnClusterOptions> options,
    ILogger<FastAttnClusterClient> logger) : IFastAttnCluster
{
    /// <summary>How long a wait rides out an unreachable cluster (a gateway or job host being replaced) before failing.</summary>
    private static readonly TimeSpan Unreachable = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public Task<JobSnapshot> SubmitAsync(FastAttnImageRequest request, string? jobId = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(GenerationJobRequest.For(request), jobId, cancellationToken);

    /// <inheritdoc />
    public Task<JobSnapshot> SubmitVideoAsync(FastAttnVideoRequest request, string? jobId = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(GenerationJobRequest.For(request), jobId, cancellationToken);

    private async Task<JobSnapshot> SubmitAsync(GenerationJobRequest request, string? jobId, CancellationToken cancellationToken)
    {
        jobId = ResultStore.CheckId(jobId ?? Guid.NewGuid().ToString("N"));
        var snapshot = await Job(jobId).SubmitAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
        logger.LogDebug("Submitted FastAttn job {Job}: {Status}", jobId, snapshot.Status);
        return snapshot;
    }

    /// <inheritdoc />
    public Task<JobSnapshot> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        Job(ResultStore.CheckId(jobId)).GetAsync().WaitAsync(cancellationToken);

    /// <inheritdoc />
    public Task<JobSnapshot> CancelAsync(string jobId, CancellationToken cancellationToken = default) =>
        Job(ResultStore.CheckId(jobId)).CancelAsync().WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<JobSnapshot> WaitAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = Job(ResultStore.CheckId(jobId));
        var lastReached = DateTime.UtcNow;
        while (true)
        {
            try
            {
                var snapshot = await job.GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                lastReached = DateTime.UtcNow;
                if (snapshot.IsTerminal) return snapshot;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await CancelQuietlyAsync(job, jobId).ConfigureAwait(false);
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException && DateTime.UtcNow - lastReached < Unreachable)
            {
                logger.LogWarning(e, "FastAttn job {Job} not reachable now (its host may be moving); still waiting", jobId);
            }
            try { await Task.Delay(options.Value.PollInterval, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                await CancelQuietlyAsync(job, jobId).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <inheritdoc />
    public async Task<FastAttnImageResult> GetImagesAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var output = Outcome(await WaitAsync(jobId, cancellationToken).ConfigureAwait(false), cancellationToken);
        var images = output.Files.Select((name, i) =>
        {
            var path = results.PathOf(jobId, name);
            return new FastAttnImage(File.ReadAllBytes(path), path, output.Seeds[Math.Min(i, output.Seeds.Count - 1)], output.Subject,
                output.ClassId);
        }).ToArray();
        return new FastAttnImageResult
        {
            Images = images, Model = output.Model, Preset = output.Preset, Compressed = output.Compressed, PlanPath = output.PlanPath,
            AttentionFlopsFraction = output.AttentionFlopsFraction, Width = output.Width, Height = output.Height, Resized = output.Resized,
            Steps = output.Steps, Scheduler = output.Scheduler, GuidanceScale = output.GuidanceScale, Elapsed = output.Elapsed,
            QueueWait = output.QueueWait, Notes = [.. output.Notes, $"Generated on {output.Worker} (cluster job {jobId})."],
        };
    }

    /// <inheritdoc />
    public async Task<FastAttnVideoResult> GetVideoAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var output = Outcome(await WaitAsync(jobId, cancellationToken).ConfigureAwait(false), cancellationToken);
        var path = results.PathOf(jobId, output.Files[0]);
        return new FastAttnVideoResult
        {
            Gif = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), Path = path, Model = output.Model,
                Prompt = output.Subject,
            Preset = output.Preset, Compressed = output.Compressed, PlanPath = output.PlanPath,
                AttentionFlopsFraction = output.AttentionFlopsFraction,
            Frames = output.Frames, Width = output.Width, Height = output.Height, Fps = output.Fps, Seed = output.Seeds[0], Steps = output.Steps,
            Elapsed = output.Elapsed, QueueWait = output.QueueWait, Notes = [.. output.Notes, $"Generated on {output.Worker} (cluster job {jobId})."],
        };
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WorkerReport>> GetWorkersAsync(CancellationToken cancellationToken = default) =>
        client.GetGrain<IWorkerRegistryGrain>(0).GetWorkersAsync().WaitAsync(cancellationToken);

    /// <summary>The output of a finished job, or the exception the plugin's engine would have thrown.</summary>
    private static JobOutput Outcome(JobSnapshot job, CancellationToken cancellationToken) => job.Status switch
    {
        JobStatus.Succeeded => job.Output!,
        JobStatus.Canceled => throw new OperationCanceledException($"FastAttn job '{job.JobId}' was cancelled.", cancellationToken),
        JobStatus.Unknown => throw new FastAttnRequestException($"No FastAttn job '{job.JobId}' was submitted (or it has expired).", "jobId"),
        _ => throw JobErrors.ToException(job.Error ?? new JobError { Kind = JobErrorKind.Internal, Message = "no error recorded" }, job.JobId),
    };

    private async Task CancelQuietlyAsync(IGenerationJobGrain job, string jobId)
    {
        try { await job.CancelAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { logger.LogWarning(e, "Could not cancel FastAttn job {Job}", jobId); }
    }

    private IGenerationJobGrain Job(string jobId) => client.GetGrain<IGenerationJobGrain>(jobId);
}
