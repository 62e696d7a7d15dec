namespace FastAttn.Plugin.Hosting;

/// <summary>The engine's state.</summary>
/// <param name="QueueDepth">Jobs waiting.</param>
/// <param name="QueueCapacity">Jobs that may wait.</param>
/// <param name="Running">Jobs generating now.</param>
/// <param name="LoadedModels">Models in memory.</param>
/// <param name="FailedModels">Models whose last load failed, with the reason.</param>
public sealed record FastAttnEngineStatus(int QueueDepth, int QueueCapacity, int Running, IReadOnlyList<string> LoadedModels,
    IReadOnlyDictionary<string, string> FailedModels)
{
    /// <summary>Jobs that may generate at the same time.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Successful model loads since start, by model (each model is loaded once and kept).</summary>
    public IReadOnlyDictionary<string, int> ModelLoads { get; init; } = new Dictionary<string, int>();

    /// <summary>Plan searches this engine ran itself (SearchOnDemand) since start.</summary>
    public int PlanSearches { get; init; }

    /// <summary>Items that may share one run (<c>FastAttn:MaxBatch</c>; 1: no batching).</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>Batches run since start (a job alone counts as a batch of its items).</summary>
    public long Batches { get; init; }

    /// <summary>Mean items per batch since start (0 before the first).</summary>
    public double MeanBatchSize { get; init; }

    /// <summary>
    /// Results finished after their caller had cancelled (typically while their files were being saved) since start: their
    /// files were removed, and the caller saw the cancellation.
    /// </summary>
    public long AbandonedResults { get; init; }
}
