using FastAttn.Cluster.Contracts;

namespace FastAttn.Cluster.Routing;

/// <summary>
/// Chooses the worker for a job, the way Ray Serve's model multiplexing and KServe ModelMesh route: a worker that has the
/// model loaded and a free slot; else a capable worker with a free slot (it loads the model — a second copy when the
/// first is busy); else the least-loaded worker with the model and room in its queue; else any capable one with room.
/// Ties go to the less loaded, then to the worker with fewer models in memory, then by name (deterministic).
/// </summary>
public static class ModelRouter
{
    /// <summary>Routes a job for <paramref name="model"/> (null: the workers' default for its kind) among <paramref name="workers"/> (live
    /// ones).</summary>
    /// <param name="workers">Live workers' latest reports.</param>
    /// <param name="model">The model asked for.</param>
    /// <param name="kind">Images or a clip (picks the default model when none is named).</param>
    /// <param name="pending">Jobs routed to a worker since its report (not in it yet).</param>
    /// <param name="exclude">Workers not to use (they refused or failed this job).</param>
    public static RouteDecision Choose(IReadOnlyCollection<WorkerReport> workers, string? model, GenerationKind kind, Func<WorkerReport, int> pending,
        IReadOnlySet<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(exclude);
        if (workers.Count == 0) return new() { Outcome = RouteOutcome.NoLiveHost, Model = model,
            Message = "No FastAttn host has joined the cluster yet." };
        var names = workers.SelectMany(w => w.Models).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToArray();
        var first = workers.OrderBy(w => w.Worker, StringComparer.Ordinal).First();
        var asked = !string.IsNullOrWhiteSpace(model) ? model.Trim() : kind == GenerationKind.Video ? first.DefaultVideoModel : first.DefaultModel;
        if (asked is null)
            return new()
            {
                Outcome = RouteOutcome.UnknownModel,
                Message = "No video model: name one, or configure FastAttn:DefaultVideoModel (a text-to-video model under FastAttn:Models) on the " +
                    "hosts.",
            };
        var canonical = names.FirstOrDefault(n => n.Equals(asked, StringComparison.OrdinalIgnoreCase));
        if (canonical is null)
            return new() { Outcome = RouteOutcome.UnknownModel, Model = asked,
                Message = $"Unknown model '{asked}'. Models served by the cluster: {string.Join(", ", names)}." };

        var capable = workers.Where(w => w.CanServe(canonical) && !exclude.Contains(w.Worker)).ToArray();
        if (capable.Length == 0)
            return new() { Outcome = RouteOutcome.NoLiveHost, Model = canonical, Message = $"No live host can take a job for '{canonical}' now." };
        int Load(WorkerReport w) => w.ActiveJobs + pending(w);
        bool Free(WorkerReport w) => Load(w) < w.Capacity;
        bool Room(WorkerReport w) => Load(w) < w.Capacity + w.QueueCapacity;
        var tiers = new Func<WorkerReport, bool>[]
        {
            w => w.HasLoaded(canonical) && Free(w),
            w => Free(w),
            w => w.HasLoaded(canonical) && Room(w),
            w => Room(w),
        };
        foreach (var tier in tiers)
        {
            var best = capable.Where(tier)
                .OrderBy(w => (double)Load(w) / Math.Max(1, w.Capacity))
                .ThenBy(w => w.Loaded.Count)
                .ThenBy(w => w.Worker, StringComparer.Ordinal)
                .FirstOrDefault();
            if (best is not null) return new() { Outcome = RouteOutcome.Chosen, Worker = best, Model = canonical };
        }
        return new() { Outcome = RouteOutcome.AllBusy, Model = canonical,
            Message = $"Every host serving '{canonical}' has a full queue; try again later." };
    }
}
