using FastAttn.Cluster.Contracts;
using FastAttn.Plugin.Hosting;

namespace FastAttn.Cluster.Client;

/// <summary>
/// Jobs on a FastAttn cluster by id: submit (returns at once; the id is the idempotency key, so a retried submit never
/// generates twice), status, cancellation, and the result, read from the shared result store.
/// </summary>
public interface IFastAttnCluster
{
    /// <summary>Submits an image job under <paramref name="jobId"/> (null: a new id); a missing seed is fixed now.</summary>
    Task<JobSnapshot> SubmitAsync(FastAttnImageRequest request, string? jobId = null, CancellationToken cancellationToken = default);

    /// <summary>Submits a clip job under <paramref name="jobId"/> (null: a new id).</summary>
    Task<JobSnapshot> SubmitVideoAsync(FastAttnVideoRequest request, string? jobId = null, CancellationToken cancellationToken = default);

    /// <summary>The job's state (<see cref="JobStatus.Unknown"/> for an id never submitted).</summary>
    Task<JobSnapshot> GetAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Cancels the job: a waiting one at once, a running one within one denoising step on its host.</summary>
    Task<JobSnapshot> CancelAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Waits until the job ends (rides out a host or gateway change); cancelling the wait cancels the job.</summary>
    Task<JobSnapshot> WaitAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Waits for an image job and reads its images; failures are the plugin's exceptions.</summary>
    Task<FastAttnImageResult> GetImagesAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Waits for a clip job and reads its GIF.</summary>
    Task<FastAttnVideoResult> GetVideoAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>The live workers (host/device) with their models and load.</summary>
    Task<IReadOnlyList<WorkerReport>> GetWorkersAsync(CancellationToken cancellationToken = default);
}
