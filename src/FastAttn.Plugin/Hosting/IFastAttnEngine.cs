namespace FastAttn.Plugin.Hosting;

/// <summary>The engine service: queues image generations onto the device and completes them as tasks.</summary>
public interface IFastAttnEngine
{
    /// <summary>
    /// Generates the images of <paramref name="request"/>. Throws <see cref="FastAttnRequestException"/> for a request
    /// it cannot serve, <see cref="FastAttnQueueFullException"/> at once when the queue is full, and
    /// <see cref="OperationCanceledException"/> within one denoising step of cancellation.
    /// </summary>
    Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Generates the clip of <paramref name="request"/> with a text-to-video (Open-Sora) model, on the same queue and device
    /// as image jobs; the same errors as <see cref="GenerateAsync"/>.
    /// </summary>
    Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default);

    /// <summary>The models this engine serves (configured ones and the built-in default).</summary>
    IReadOnlyList<string> ModelNames { get; }

    /// <summary>The default model's name.</summary>
    string DefaultModel { get; }

    /// <summary>
    /// Sizes (pixels) <paramref name="model"/> generates without resizing, loading it if needed: its square sizes
    /// (class-conditional models) or its aspect-ratio buckets (text-to-image models).
    /// </summary>
    Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null, CancellationToken cancellationToken = default);

    /// <summary>A snapshot of the engine's state (for health checks and dashboards).</summary>
    FastAttnEngineStatus Status { get; }
}

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
}
