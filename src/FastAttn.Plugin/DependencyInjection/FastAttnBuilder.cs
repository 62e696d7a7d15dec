using FastAttn.Engine.Families;
using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FastAttn.Plugin.DependencyInjection;

/// <summary>
/// The application's FastAttn engine pipeline, returned by <c>AddFastAttn</c> (in the style of Microsoft.Extensions.AI's
/// <c>ChatClientBuilder</c>): the engine (the local one unless <see cref="UseEngine"/> says otherwise, e.g. a cluster
/// client), the decorators around it (<see cref="Use(Func{IFastAttnEngine, IServiceProvider, IFastAttnEngine})"/>,
/// <c>UseTelemetry()</c>), and model families added to the defaults. One per service collection: every <c>AddFastAttn</c>
/// call returns it, so registrations may come in any order.
/// </summary>
public sealed class FastAttnBuilder
{
    private readonly List<Func<IFastAttnEngine, IServiceProvider, IFastAttnEngine>> _decorators = [];
    private Func<IServiceProvider, IFastAttnEngine>? _engine;

    internal FastAttnBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Whether the pipeline ends in the local engine (no <see cref="UseEngine"/>).</summary>
    public bool UsesLocalEngine => _engine is null;

    /// <summary>Ends the pipeline in the engine <paramref name="factory"/> makes instead of the local one (a cluster client).</summary>
    public FastAttnBuilder UseEngine(Func<IServiceProvider, IFastAttnEngine> factory)
    {
        _engine = factory ?? throw new ArgumentNullException(nameof(factory));
        return this;
    }

    /// <summary>Adds a decorator; the first added is the outermost.</summary>
    public FastAttnBuilder Use(Func<IFastAttnEngine, IServiceProvider, IFastAttnEngine> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _decorators.Add(decorator);
        return this;
    }

    /// <summary>Adds a decorator; the first added is the outermost.</summary>
    public FastAttnBuilder Use(Func<IFastAttnEngine, IFastAttnEngine> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        return Use((inner, _) => decorator(inner));
    }

    /// <summary>Adds <paramref name="family"/> to the model families the local engine loads (tried before the built-in ones).</summary>
    public FastAttnBuilder AddModelFamily(IModelFamily family)
    {
        Services.AddFastAttnModelFamily(family);
        return this;
    }

    /// <summary>The engine with its decorators.</summary>
    public IFastAttnEngine Build(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var engine = _engine?.Invoke(services) ?? services.GetRequiredService<FastAttnEngineService>();
        for (int i = _decorators.Count - 1; i >= 0; i--)
            engine = _decorators[i](engine, services) ?? throw new InvalidOperationException("A FastAttn engine decorator returned null.");
        return engine;
    }
}
