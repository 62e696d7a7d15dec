using FastAttn.Cluster.Contracts;
using FastAttn.Cluster.Options;
using FastAttn.Cluster.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Grains;

/// <summary>Keeps the workers' heartbeats and routes jobs (see <see cref="IWorkerRegistryGrain"/>).</summary>
internal sealed class WorkerRegistryGrain(IClusterMembershipService membership, IOptions<FastAttnClusterOptions> options,
    ILogger<WorkerRegistryGrain> logger) : Grain, IWorkerRegistryGrain
{
    private readonly Dictionary<string, WorkerReport> _reports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<DateTime>> _routed = new(StringComparer.Ordinal);

    public Task ReportAsync(WorkerReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_reports.TryGetValue(report.Worker, out var known) && known.TakenAt > report.TakenAt
            && known.Silo.Equals(report.Silo)) return Task.CompletedTask;   // overtaken
        if (known is null) logger.LogInformation("FastAttn worker {Worker} joined: models {Models}", report.Worker, string.Join(", ", report.Models));
        _reports[report.Worker] = report;
        if (_routed.TryGetValue(report.Worker, out var routed)) routed.RemoveAll(t => t <= report.TakenAt);   // now in its report
        return Task.CompletedTask;
    }

    public Task<RouteDecision> ChooseAsync(string? model, GenerationKind kind, IReadOnlyList<string> exclude)
    {
        var live = Live();
        var decision = ModelRouter.Choose(live, model, kind, Pending, exclude.ToHashSet(StringComparer.Ordinal));
        if (decision.Worker is WorkerReport chosen)
        {
            if (!_routed.TryGetValue(chosen.Worker, out var list)) _routed[chosen.Worker] = list = [];
            list.Add(DateTime.UtcNow);
            logger.LogDebug("Routed a {Model} job to {Worker} (loaded: {Loaded})", decision.Model, chosen.Worker, chosen.HasLoaded(decision.Model!));
        }
        return Task.FromResult(decision);
    }

    public Task<IReadOnlyList<WorkerReport>> GetWorkersAsync() => Task.FromResult<IReadOnlyList<WorkerReport>>(Live());

    private int Pending(WorkerReport w) => _routed.TryGetValue(w.Worker, out var list) ? list.Count : 0;

    /// <summary>Reports of workers heard from lately whose silo is active; the others are dropped.</summary>
    private WorkerReport[] Live()
    {
        var snapshot = membership.CurrentSnapshot;
        var oldest = DateTime.UtcNow - options.Value.WorkerExpiry;
        foreach (var stale in _reports.Values.Where(r => r.TakenAt < oldest || snapshot.GetSiloStatus(r.Silo) != SiloStatus.Active).ToArray())
        {
            logger.LogInformation("FastAttn worker {Worker} left (silo {Status}, last report {TakenAt:O})", stale.Worker,
                snapshot.GetSiloStatus(stale.Silo), stale.TakenAt);
            _reports.Remove(stale.Worker);
            _routed.Remove(stale.Worker);
        }
        return _reports.Values.OrderBy(r => r.Worker, StringComparer.Ordinal).ToArray();
    }
}
