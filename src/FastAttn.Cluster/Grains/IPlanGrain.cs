using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Grains;

/// <summary>
/// One DiTFastAttn plan, keyed by its plan key's file name: however many hosts need it at once, exactly one searches it
/// (the lease holder, who renews it while searching; it passes on if that host dies, gives up or stops renewing), and
/// the published plan is persisted and
/// served to every host.
/// </summary>
[Alias("fastattn.IPlanGrain")]
public interface IPlanGrain : IGrainWithStringKey
{
    /// <summary>The stored plan, or null.</summary>
    [Alias("Find")] Task<string?> FindAsync();

    /// <summary>The plan, or the lease to search it (host <paramref name="host"/> at <paramref name="silo"/>), or neither: wait and ask
    /// again.</summary>
    [Alias("Acquire")] Task<PlanLease> AcquireAsync(string host, SiloAddress silo);

    /// <summary>Stores the plan <paramref name="host"/> found.</summary>
    [Alias("Publish")] Task PublishAsync(string host, string planJson);

    /// <summary>The lease holder gives up (its search failed or was cancelled).</summary>
    [Alias("Release")] Task ReleaseAsync(string host);

    /// <summary>The grain's state.</summary>
    [Alias("Info")] Task<PlanInfo> GetInfoAsync();
}
