namespace FastAttn.Cluster.Grains;

/// <summary>Names of the grain storages FastAttn's grains persist to (Redis in deployments, memory in tests).</summary>
public static class ClusterStorage
{
    /// <summary>Jobs (kept for <see cref="Options.FastAttnClusterOptions.JobRetention"/>).</summary>
    public const string Jobs = "fastattn-jobs";

    /// <summary>Plans (kept).</summary>
    public const string Plans = "fastattn-plans";

    /// <summary>
    /// The key of the <see cref="TimeProvider"/> service plan leases are timed by (default the system clock; a test
    /// registers its own, keyed so, before <c>AddFastAttnWorkers</c>, to expire leases without waiting).
    /// </summary>
    public const string PlanLeaseClock = "fastattn-plan-lease-clock";
}
