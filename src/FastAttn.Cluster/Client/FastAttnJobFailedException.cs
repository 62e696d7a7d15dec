using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Client;

/// <summary>A cluster job that failed on its host (model load, generation error) or found no host serving its model.</summary>
public sealed class FastAttnJobFailedException : InvalidOperationException
{
    /// <summary>Creates the exception for job <paramref name="jobId"/>.</summary>
    public FastAttnJobFailedException(string jobId, JobError error)
        : base($"FastAttn job '{jobId}' failed ({error?.Kind}): {error?.Message}")
    {
        ArgumentNullException.ThrowIfNull(error);
        JobId = jobId;
        Error = error;
    }

    /// <summary>The job.</summary>
    public string JobId { get; }

    /// <summary>Its error.</summary>
    public JobError Error { get; }
}
