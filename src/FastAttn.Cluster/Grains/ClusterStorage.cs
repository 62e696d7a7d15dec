namespace FastAttn.Cluster.Grains;

/// <summary>Names of the grain storages FastAttn's grains persist to (Redis in deployments, memory in tests).</summary>
public static class ClusterStorage
{
    /// <summary>Jobs (kept for <see cref="Options.FastAttnClusterOptions.JobRetention"/>).</summary>
    public const string Jobs = "fastattn-jobs";

    /// <summary>Plans (kept).</summary>
    public const string Plans = "fastattn-plans";
}
