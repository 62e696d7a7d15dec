namespace FastAttn.Cluster.Contracts;

/// <summary>
/// What a worker (one device of one host) advertises to the registry every heartbeat: the models it can load and has
/// loaded, and its load.
/// </summary>
[GenerateSerializer, Alias("fastattn.WorkerReport"), Immutable]
public sealed record WorkerReport
{
    /// <summary>The worker's key, "host/device".</summary>
    [Id(0)] public required string Worker { get; init; }

    /// <summary>The host (silo name).</summary>
    [Id(1)] public required string Host { get; init; }

    /// <summary>The device.</summary>
    [Id(2)] public required string Device { get; init; }

    /// <summary>The host's silo.</summary>
    [Id(3)] public required SiloAddress Silo { get; init; }

    /// <summary>Models it can load (its configuration).</summary>
    [Id(4)] public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Its default model.</summary>
    [Id(5)] public required string DefaultModel { get; init; }

    /// <summary>Models in its memory now.</summary>
    [Id(6)] public required IReadOnlyList<string> Loaded { get; init; }

    /// <summary>Jobs it holds (queued or generating).</summary>
    [Id(7)] public int ActiveJobs { get; init; }

    /// <summary>Jobs generating now.</summary>
    [Id(8)] public int Running { get; init; }

    /// <summary>Jobs it generates at once.</summary>
    [Id(9)] public int Capacity { get; init; } = 1;

    /// <summary>Jobs that may wait on it.</summary>
    [Id(10)] public int QueueCapacity { get; init; }

    /// <summary>Model loads since start, by model.</summary>
    [Id(11)] public IReadOnlyDictionary<string, int> ModelLoads { get; init; } = new Dictionary<string, int>();

    /// <summary>Plan searches it ran since start.</summary>
    [Id(12)] public int PlanSearches { get; init; }

    /// <summary>Jobs it finished since start (any outcome).</summary>
    [Id(13)] public long JobsDone { get; init; }

    /// <summary>When the report was taken (UTC).</summary>
    [Id(14)] public DateTime TakenAt { get; init; }

    /// <summary>Its default video model (null: none).</summary>
    [Id(15)] public string? DefaultVideoModel { get; init; }

    /// <summary>Items its engine may batch in one run (<c>FastAttn:MaxBatch</c>).</summary>
    [Id(16)] public int MaxBatch { get; init; } = 1;

    /// <summary>Batches its engine ran since start.</summary>
    [Id(17)] public long Batches { get; init; }

    /// <summary>Mean items per batch since start.</summary>
    [Id(18)] public double MeanBatchSize { get; init; }

    /// <summary>Whether <paramref name="model"/> is in its memory.</summary>
    public bool HasLoaded(string model) => Loaded.Contains(model, StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether it can serve <paramref name="model"/>.</summary>
    public bool CanServe(string model) => Models.Contains(model, StringComparer.OrdinalIgnoreCase);
}
