using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Grains;

/// <summary>
/// One generation job, keyed by its id — the idempotency key: submitting the same id again returns the existing job and
/// never generates twice. The grain persists the job, routes it to a worker, watches that worker's host, dispatches the
/// job again when the host dies, and accepts exactly one outcome per job.
/// </summary>
[Alias("fastattn.IGenerationJobGrain")]
public interface IGenerationJobGrain : IGrainWithStringKey
{
    /// <summary>Accepts the job (or returns the one already under this id) and dispatches it; returns at once.</summary>
    [Alias("Submit")] Task<JobSnapshot> SubmitAsync(GenerationJobRequest request);

    /// <summary>The job's state.</summary>
    [Alias("Get")] Task<JobSnapshot> GetAsync();

    /// <summary>Asks the job to stop: a waiting job ends at once, a running one within one denoising step.</summary>
    [Alias("Cancel")] Task<JobSnapshot> CancelAsync();

    /// <summary>Worker: attempt <paramref name="attempt"/> succeeded. False when that attempt is no longer the job's.</summary>
    [Alias("Completed")] Task<bool> CompletedAsync(int attempt, JobOutput output);

    /// <summary>Worker: attempt <paramref name="attempt"/> failed.</summary>
    [Alias("Failed")] Task<bool> FailedAsync(int attempt, JobError error);

    /// <summary>Worker: attempt <paramref name="attempt"/> stopped on its caller's cancellation.</summary>
    [Alias("Canceled")] Task<bool> CanceledAsync(int attempt);

    /// <summary>Worker: attempt <paramref name="attempt"/> was dropped (its host is shutting down); the job goes elsewhere.</summary>
    [Alias("Abandoned")] Task<bool> AbandonedAsync(int attempt);
}
