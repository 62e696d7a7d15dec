namespace FastAttn.Plugin.Hosting;

/// <summary>
/// An <see cref="IFastAttnEngine"/> that passes every call to an inner engine: the base of decorators (telemetry, logging,
/// caching …) in the style of Microsoft.Extensions.AI's <c>DelegatingChatClient</c>. Disposing it disposes the inner engine.
/// </summary>
public abstract class DelegatingFastAttnEngine : IFastAttnEngine, IDisposable
{
    /// <summary>Wraps <paramref name="innerEngine"/>.</summary>
    protected DelegatingFastAttnEngine(IFastAttnEngine innerEngine) => InnerEngine = innerEngine
        ?? throw new ArgumentNullException(nameof(innerEngine));

    /// <summary>The engine calls are passed to.</summary>
    protected IFastAttnEngine InnerEngine { get; }

    /// <inheritdoc />
    public virtual IReadOnlyList<string> ModelNames => InnerEngine.ModelNames;

    /// <inheritdoc />
    public virtual string DefaultModel => InnerEngine.DefaultModel;

    /// <inheritdoc />
    public virtual string? DefaultVideoModel => InnerEngine.DefaultVideoModel;

    /// <inheritdoc />
    public virtual FastAttnEngineStatus Status => InnerEngine.Status;

    /// <inheritdoc />
    public virtual Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default) =>
        InnerEngine.GenerateAsync(request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default) =>
        InnerEngine.GenerateVideoAsync(request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null,
        CancellationToken cancellationToken = default) =>
        InnerEngine.GetSupportedSizesAsync(model, cancellationToken);

    /// <summary>This engine when it is a <paramref name="serviceType"/>, else what the inner engine answers.</summary>
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerEngine.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the inner engine when <paramref name="disposing"/>.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) (InnerEngine as IDisposable)?.Dispose();
    }
}
