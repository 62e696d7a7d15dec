using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Grains;

/// <summary>The persisted state of a plan grain.</summary>
[GenerateSerializer, Alias("fastattn.PlanState")]
internal sealed class PlanState
{
    [Id(0)] public string? PlanJson { get; set; }
    [Id(1)] public string? SearchedBy { get; set; }
    [Id(2)] public int Searches { get; set; }
    [Id(3)] public string? Holder { get; set; }
    [Id(4)] public SiloAddress? HolderSilo { get; set; }
    [Id(5)] public DateTime LeasedAt { get; set; }
}

/// <summary>
/// One plan, searched once cluster-wide (see <see cref="IPlanGrain"/>). Leases are timed by the keyed
/// <see cref="TimeProvider"/> <see cref="ClusterStorage.PlanLeaseClock"/> (the system clock; tests turn it by hand).
/// </summary>
internal sealed class PlanGrain([PersistentState("plan", ClusterStorage.Plans)] IPersistentState<PlanState> state,
    IClusterMembershipService membership, IOptions<FastAttnClusterOptions> options, ILogger<PlanGrain> logger,
    [FromKeyedServices(ClusterStorage.PlanLeaseClock)] TimeProvider clock) : Grain, IPlanGrain
{
    private PlanState S => state.State;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Task<string?> FindAsync() => Task.FromResult(S.PlanJson);

    public async Task<PlanLease> AcquireAsync(string host, SiloAddress silo)
    {
        if (S.PlanJson is string plan) return new() { PlanJson = plan };
        if (S.Holder == host && S.HolderSilo == silo)                                          // its holder renews the lease
        {
            S.LeasedAt = Now;
            await state.WriteStateAsync();
            return new() { Search = true };
        }
        bool holderGone = S.Holder is null || S.HolderSilo is null
            || membership.CurrentSnapshot.GetSiloStatus(S.HolderSilo) is SiloStatus.Dead or SiloStatus.None;
        bool expired = S.Holder is not null && Now - S.LeasedAt > options.Value.PlanLeaseTimeout;
        if (!holderGone && !expired) return new();
        if (S.Holder is not null)
            logger.LogWarning("Plan {Plan}: host {Holder} {Why}; {Host} takes the search over", this.GetPrimaryKeyString(), S.Holder,
                holderGone ? "left mid-search" : $"has not renewed its lease for {options.Value.PlanLeaseTimeout}", host);
        S.Holder = host;
        S.HolderSilo = silo;
        S.LeasedAt = Now;
        S.Searches++;
        await state.WriteStateAsync();
        logger.LogInformation("Plan {Plan}: {Host} searches it (search {Count})", this.GetPrimaryKeyString(), host, S.Searches);
        return new() { Search = true };
    }

    public async Task PublishAsync(string host, string planJson)
    {
        ArgumentException.ThrowIfNullOrEmpty(planJson);
        if (S.PlanJson is not null) return;
        S.PlanJson = planJson;
        S.SearchedBy = host;
        S.Holder = null;
        S.HolderSilo = null;
        await state.WriteStateAsync();
        logger.LogInformation("Plan {Plan} published by {Host}", this.GetPrimaryKeyString(), host);
    }

    public async Task ReleaseAsync(string host)
    {
        if (S.Holder != host) return;
        S.Holder = null;
        S.HolderSilo = null;
        await state.WriteStateAsync();
    }

    public Task<PlanInfo> GetInfoAsync() =>
        Task.FromResult(new PlanInfo { Published = S.PlanJson is not null, Searches = S.Searches, SearchedBy = S.SearchedBy, Holder = S.Holder });
}
