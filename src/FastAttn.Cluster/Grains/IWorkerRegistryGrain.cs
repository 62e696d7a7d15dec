using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Grains;

/// <summary>
/// The cluster's view of its workers (key 0): their heartbeat reports, kept for live silos only, and the routing of
/// jobs by model affinity and load (<see cref="Routing.ModelRouter"/>). Its state rebuilds from the next heartbeats
/// when it moves to another silo.
/// </summary>
[Alias("fastattn.IWorkerRegistryGrain")]
public interface IWorkerRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>A worker's heartbeat.</summary>
    [Alias("Report")] Task ReportAsync(WorkerReport report);

    /// <summary>Chooses a worker for a job of <paramref name="kind"/> on <paramref name="model"/>, skipping <paramref name="exclude"/>.</summary>
    [Alias("Choose")] Task<RouteDecision> ChooseAsync(string? model, GenerationKind kind, IReadOnlyList<string> exclude);

    /// <summary>The live workers' latest reports.</summary>
    [Alias("Workers")] Task<IReadOnlyList<WorkerReport>> GetWorkersAsync();
}
