namespace FastAttn.Plugin.Hosting;

/// <summary>
/// The engine: queues image and clip generations onto a device (or a cluster) and completes them as tasks. Decorators
/// (<see cref="DelegatingFastAttnEngine"/>, e.g. telemetry) wrap it in the Microsoft.Extensions.AI style.
/// </summary>
public interface IFastAttnEngine
{
    /// <summary>
    /// Generates the images of <paramref name="request"/>. Throws <see cref="FastAttnRequestException"/> for a request
    /// it cannot serve, <see cref="FastAttnQueueFullException"/> at once when the queue is full, and
    /// <see cref="OperationCanceledException"/> within one denoising step of cancellation.
    /// </summary>
    Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Generates the clip of <paramref name="request"/> with a text-to-video model, on the same queue and device
    /// as image jobs; the same errors as <see cref="GenerateAsync"/>.
    /// </summary>
    Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default);

    /// <summary>The models this engine serves (configured ones and the built-in default).</summary>
    IReadOnlyList<string> ModelNames { get; }

    /// <summary>The default model's name.</summary>
    string DefaultModel { get; }

    /// <summary>The model video requests use when they name none (null: none configured).</summary>
    string? DefaultVideoModel { get; }

    /// <summary>
    /// Sizes (pixels) <paramref name="model"/> generates without resizing, loading it if needed: its square sizes
    /// (class-conditional models) or its aspect-ratio buckets (text-to-image models).
    /// </summary>
    Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null, CancellationToken cancellationToken = default);

    /// <summary>A snapshot of the engine's state (for health checks and dashboards).</summary>
    FastAttnEngineStatus Status { get; }

    /// <summary>
    /// An object of type <paramref name="serviceType"/> this engine is or wraps (the inner engine of a decorator, its hosted
    /// service), or null; as <c>IChatClient.GetService</c>.
    /// </summary>
    object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }
}
