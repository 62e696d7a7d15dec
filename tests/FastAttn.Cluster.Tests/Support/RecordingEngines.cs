using System.Collections.Concurrent;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FastAttn.Cluster.Tests.Support;

/// <summary>
/// Wraps the silo's <see cref="IFastAttnEngineFactory"/> so that every image request its engines accept is recorded in
/// <see cref="Accepted"/>: a test counts the generations of its own request instead of waiting for counters to settle.
/// </summary>
public sealed class RecordingEngineFactory(IFastAttnEngineFactory inner) : IFastAttnEngineFactory
{
    /// <summary>Image requests the engines accepted (the call returned a running generation), in order, across silos.</summary>
    public static ConcurrentQueue<FastAttnImageRequest> Accepted { get; } = new();

    /// <summary>Replaces the registered factory in <paramref name="services"/> by one recording around it.</summary>
    public static void Decorate(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IFastAttnEngineFactory));
        services.Remove(registered);
        services.AddSingleton<IFastAttnEngineFactory>(sp => new RecordingEngineFactory((IFastAttnEngineFactory)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!))));
    }

    /// <inheritdoc />
    public IFastAttnEngine Create(Plugin.Options.FastAttnOptions options) => new RecordingEngine(inner.Create(options));

    private sealed class RecordingEngine(IFastAttnEngine inner) : DelegatingFastAttnEngine(inner)
    {
        public override Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default)
        {
            var running = base.GenerateAsync(request, cancellationToken);                    // throws at once when refused
            Accepted.Enqueue(request);
            return running;
        }
    }
}
