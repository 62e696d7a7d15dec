using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Grains;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastAttn.Cluster.Client;

/// <summary>
/// <see cref="IFastAttnEngine"/> over a FastAttn cluster, so the plugin's faces (Semantic Kernel, Microsoft.Extensions.AI,
/// the kernel functions) work unchanged: each call is a cluster job, waited for; cancelling the call cancels the job.
/// Model names and status come from the workers' reports, refreshed in the background.
/// </summary>
public sealed class ClusterFastAttnEngine(IFastAttnCluster cluster, IClusterClient client, ILogger<ClusterFastAttnEngine> logger)
    : BackgroundService, IFastAttnEngine
{
    private volatile IReadOnlyList<WorkerReport> _workers = [];

    /// <inheritdoc />
    public IReadOnlyList<string> ModelNames =>
        _workers.SelectMany(w => w.Models).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <inheritdoc />
    public string DefaultModel => _workers.OrderBy(w => w.Worker, StringComparer.Ordinal).FirstOrDefault()?.DefaultModel
        ?? Engine.Pipelines.BuiltInModels.Default;

    /// <inheritdoc />
    public string? DefaultVideoModel =>
        _workers.OrderBy(w => w.Worker, StringComparer.Ordinal).Select(w => w.DefaultVideoModel).FirstOrDefault(m => m is not null);

    /// <inheritdoc />
    public FastAttnEngineStatus Status
    {
        get
        {
            var workers = _workers;
            return new FastAttnEngineStatus(workers.Sum(w => Math.Max(0, w.ActiveJobs - w.Running)), workers.Sum(w => w.QueueCapacity),
                workers.Sum(w => w.Running),
                workers.SelectMany(w => w.Loaded).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToArray(),
                    new Dictionary<string, string>())
            {
                Concurrency = workers.Sum(w => w.Capacity),
                ModelLoads = workers.SelectMany(w => w.ModelLoads).GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.Sum(p => p.Value)),
                PlanSearches = workers.Sum(w => w.PlanSearches),
                MaxBatch = workers.Select(w => w.MaxBatch).DefaultIfEmpty(1).Max(),
                Batches = workers.Sum(w => w.Batches),
                MeanBatchSize = workers.Sum(w => w.Batches) is long b and > 0 ? workers.Sum(w => w.MeanBatchSize * w.Batches) / b : 0,
            };
        }
    }

    /// <inheritdoc />
    public async Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default)
    {
        var id = await SubmitAsync((id, ct) => cluster.SubmitAsync(request, id, ct), cancellationToken).ConfigureAwait(false);
        return await cluster.GetImagesAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default)
    {
        var id = await SubmitAsync((id, ct) => cluster.SubmitVideoAsync(request, id, ct), cancellationToken).ConfigureAwait(false);
        return await cluster.GetVideoAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits under a new id; a call cancelled while submitting cancels the job it may have created.</summary>
    private async Task<string> SubmitAsync(Func<string, CancellationToken, Task<JobSnapshot>> submit, CancellationToken cancellationToken)
    {
        if (_workers.Count == 0) await RefreshAsync(cancellationToken).ConfigureAwait(false);   // names and status before the first refresh
        var id = Guid.NewGuid().ToString("N");
        try
        {
            return (await submit(id, cancellationToken).ConfigureAwait(false)).JobId;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            try { await cluster.CancelAsync(id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
            catch (Exception e) when (e is not OutOfMemoryException) { logger.LogWarning(e, "Could not cancel FastAttn job {Job}", id); }
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null, CancellationToken cancellationToken = default)
    {
        var route = await client.GetGrain<IWorkerRegistryGrain>(0).ChooseAsync(model, GenerationKind.Image,
            []).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (route.Outcome == RouteOutcome.UnknownModel) throw new FastAttnRequestException(route.Message!, "model");
        if (route.Worker is null) throw new FastAttnQueueFullException(route.Message ?? "No host can answer now.");
        var sizes = await client.GetGrain<IDeviceWorkerGrain>(route.Worker.Worker).GetSupportedSizesAsync(route.Model!)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return sizes.Select(s => new System.Drawing.Size(s[0], s[1])).ToArray();
    }

    /// <summary>Refreshes the workers' reports every two seconds.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
            try { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Reads the workers' reports now.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        try { _workers = await cluster.GetWorkersAsync(cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(e, "FastAttn cluster workers not read");
        }
        catch (OperationCanceledException) { }
    }
}
