using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Options;
using FastAttn.Engine.Compression;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Hosting;

/// <summary>
/// The engines' shared plans on a silo: each plan key is a <see cref="IPlanGrain"/>. The host holding a plan's lease
/// searches (on its own thread) and publishes it; the others wait for it.
/// </summary>
internal sealed class ClusterPlanStore(IGrainFactory grains, ILocalSiloDetails silo, IOptions<FastAttnClusterOptions> options,
    ILogger<ClusterPlanStore> logger) : ISharedPlanStore
{
    public async Task<CompressionPlan?> FindAsync(PlanKey key, CancellationToken cancellationToken)
    {
        var json = await GrainOf(key).FindAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return json is null ? null : PlanSerializer.Parse(json, $"cluster plan {key.FileName}");
    }

    public async Task<CompressionPlan> GetOrSearchAsync(PlanKey key, Func<CancellationToken, CompressionPlan> search,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        var grain = GrainOf(key);
        bool waiting = false;
        while (true)
        {
            var lease = await grain.AcquireAsync(silo.Name, silo.SiloAddress).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (lease.PlanJson is string json)
            {
                if (waiting) logger.LogInformation("Plan {Plan} found by another host; not searched here", key.FileName);
                return PlanSerializer.Parse(json, $"cluster plan {key.FileName}");
            }
            if (lease.Search)
            {
                using var renewing = new CancellationTokenSource();
                var renewal = RenewAsync(grain, renewing.Token);
                try
                {
                    var plan = await Task.Factory.StartNew(() => search(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning,
                        TaskScheduler.Default)
                        .ConfigureAwait(false);
                    await grain.PublishAsync(silo.Name, PlanSerializer.ToJson(plan)).ConfigureAwait(false);
                    return plan;
                }
                catch
                {
                    await grain.ReleaseAsync(silo.Name).ConfigureAwait(false);                  // let another host search
                    throw;
                }
                finally
                {
                    await renewing.CancelAsync().ConfigureAwait(false);
                    await renewal.ConfigureAwait(false);
                }
            }
            if (!waiting) logger.LogInformation("Plan {Plan} is being searched by another host; waiting for it", key.FileName);
            waiting = true;
            await Task.Delay(options.Value.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Renews this host's lease every quarter of <see cref="FastAttnClusterOptions.PlanLeaseTimeout"/> while it searches.</summary>
    private async Task RenewAsync(IPlanGrain grain, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Value.PlanLeaseTimeout / 4);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try { await grain.AcquireAsync(silo.Name, silo.SiloAddress).ConfigureAwait(false); }
                catch (Exception e) when (e is not OutOfMemoryException) { logger.LogWarning(e, "Could not renew the lease of a plan search"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private IPlanGrain GrainOf(PlanKey key) => grains.GetGrain<IPlanGrain>(Path.GetFileNameWithoutExtension(key.FileName));
}
