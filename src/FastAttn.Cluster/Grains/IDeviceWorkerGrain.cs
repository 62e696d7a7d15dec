using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Grains;

/// <summary>
/// One device of one host, keyed "host/device" and always placed on that host: it wraps the host's engine for the device
/// (one job at a time per device, a bounded queue), writes results to the shared store, and reports its models and load
/// to the registry every heartbeat.
/// </summary>
[Alias("fastattn.IDeviceWorkerGrain")]
public interface IDeviceWorkerGrain : IGrainWithStringKey
{
    /// <summary>Queues attempt <paramref name="attempt"/> of a job (idempotent per attempt); returns at once.</summary>
    [Alias("Enqueue")] Task<EnqueueResult> EnqueueAsync(string jobId, int attempt, GenerationJobRequest request);

    /// <summary>Cancels the job's attempt if this worker holds it; false when it does not.</summary>
    [Alias("Cancel")] Task<bool> CancelAsync(string jobId, int attempt);

    /// <summary>Whether this worker holds the job's attempt (queued, generating or reporting).</summary>
    [Alias("Has")] Task<bool> HasJobAsync(string jobId, int attempt);

    /// <summary>Its report now.</summary>
    [Alias("Report")] Task<WorkerReport> GetReportAsync();

    /// <summary>Sizes <paramref name="model"/> generates without resizing (loads it).</summary>
    [Alias("Sizes")] Task<IReadOnlyList<int[]>> GetSupportedSizesAsync(string model);
}
