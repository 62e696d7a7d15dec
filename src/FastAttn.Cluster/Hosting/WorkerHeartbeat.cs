using FastAttn.Cluster.Grains;
using FastAttn.Cluster.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Hosting;

/// <summary>
/// The host's heartbeat: every <see cref="FastAttnClusterOptions.Heartbeat"/> it reads each local worker's report (which
/// activates a worker grain that was deactivated, e.g. while its directory entry moved after another host died) and
/// sends it to the registry (wherever that grain lives now). Driven by the host rather than a grain timer, so that no
/// worker drops out of routing for good.
/// </summary>
internal sealed class WorkerHeartbeat(IGrainFactory grains, ILocalSiloDetails silo, DeviceEngines engines, IOptions<FastAttnClusterOptions> options,
    ILogger<WorkerHeartbeat> logger)
{
    /// <summary>Beats until <paramref name="stopping"/>; failures are logged once per outage and retried.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var registry = grains.GetGrain<IWorkerRegistryGrain>(0);
        var workers = engines.Devices.Select(d => grains.GetGrain<IDeviceWorkerGrain>($"{silo.Name}/{d}")).ToArray();
        var timeout = options.Value.WorkerExpiry;
        int missed = 0;
        using var timer = new PeriodicTimer(options.Value.Heartbeat);
        do
        {
            try
            {
                foreach (var worker in workers)
                    await registry.ReportAsync(await worker.GetReportAsync().WaitAsync(timeout, stopping).ConfigureAwait(false)).WaitAsync(timeout,
                        stopping).ConfigureAwait(false);
                if (missed > 0) logger.LogInformation("Heartbeat of host {Host} delivered again after {Missed} misses", silo.Name, missed);
                missed = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { return; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (missed++ == 0) logger.LogWarning("Heartbeat of host {Host} not delivered ({Error}); retrying", silo.Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
    }
}
