using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FastAttn.Cluster.Placement;

/// <summary>
/// Places a grain keyed "host/…" on the silo named host — a worker grain lives where its device is. Activation fails with
/// a clear error when that host is not an active member of the cluster.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("fastattn.HostPlacement")]
public sealed class HostPlacement : PlacementStrategy
{
    /// <summary>The strategy.</summary>
    public static readonly HostPlacement Instance = new();
}

/// <summary>Marks a grain class for <see cref="HostPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HostPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public HostPlacementAttribute() : base(HostPlacement.Instance) { }
}

/// <summary>Chooses the silo whose name is the host part of the grain's key.</summary>
internal sealed class HostPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0) throw new ArgumentException($"Grain key '{key}' is not 'host/device'.", nameof(target));
        var host = key[..slash];
        var snapshot = membership.CurrentSnapshot;
        foreach (var silo in context.GetCompatibleSilos(target))
            if (snapshot.Members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active && string.Equals(member.Name, host,
                StringComparison.Ordinal))
                return Task.FromResult(silo);
        throw new OrleansException($"No active FastAttn host named '{host}' is in the cluster to place '{key}' on.");
    }
}
