using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Families;
using FastAttn.Plugin.Diagnostics;
using FastAttn.Plugin.ExtensionsAI;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.TextToImage;

namespace FastAttn.Plugin.DependencyInjection;

/// <summary>Registers the FastAttn engine, its options, model families, health check, and its Semantic Kernel and Microsoft.Extensions.AI
/// faces.</summary>
public static class FastAttnServiceCollectionExtensions
{
    /// <summary>
    /// Adds the FastAttn engine: options (section <c>"FastAttn"</c> of <paramref name="configuration"/> when given, then
    /// <paramref name="configure"/>), validated at start; the local engine (a hosted service) with telemetry
    /// (<see cref="FastAttnBuilderExtensions.UseTelemetry"/>); a health check named <c>fastattn</c>; the
    /// <see cref="FastAttnImagePlugin"/> and <see cref="FastAttnVideoPlugin"/>; and <see cref="ITextToImageService"/> for the
    /// default model plus one keyed by each configured model's name. The engine takes from the container, when registered,
    /// an <see cref="IAttentionCostModel"/> (the attention costs its models plan with; none: each measures its own), the
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> and a <see cref="TimeProvider"/> (times the batch window).
    /// Returns the engine's <see cref="FastAttnBuilder"/> (the same one on every call): add decorators, model families, or
    /// end it in another engine (a cluster client).
    /// </summary>
    public static FastAttnBuilder AddFastAttn(this IServiceCollection services, IConfiguration? configuration = null,
        Action<FastAttnOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<FastAttnOptions>();
        var section = configuration?.GetSection(FastAttnOptions.SectionName);
        if (section is not null) options.Bind(section);
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.AddFastAttnEngineFactory();

        var builder = services.FirstOrDefault(d => d.ServiceType == typeof(FastAttnBuilder))?.ImplementationInstance as FastAttnBuilder;
        if (builder is null)
        {
            builder = new FastAttnBuilder(services).UseTelemetry();
            services.AddSingleton(builder);
            services.AddSingleton(sp => new FastAttnEngineService(sp.GetRequiredService<IOptions<FastAttnOptions>>(), sp.GetService<ILoggerFactory>(),
                sp.GetService<ISharedPlanStore>(), sp.GetRequiredService<ModelFamilyRegistry>(), sp.GetService<IAttentionCostModel>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<TimeProvider>(),
                sp.GetService<IFastAttnOutputStreams>()));
            services.AddSingleton<IFastAttnEngine>(sp => sp.GetRequiredService<FastAttnBuilder>().Build(sp));
            services.AddSingleton<IHostedService, LocalEngineHost>();
            services.AddSingleton<FastAttnImagePlugin>();
            services.AddSingleton<FastAttnVideoPlugin>();
            services.AddHealthChecks().AddCheck<FastAttnHealthCheck>("fastattn", tags: ["fastattn"]);
            services.TryAddSingleton<ITextToImageService>(sp => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>()));
        }
        foreach (var model in ModelNames(section, configure))
            services.TryAddKeyedSingleton<ITextToImageService>(model, (sp, _)
                => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>(), model));
        return builder;
    }

    /// <summary>Adds the FastAttn engine configured by <paramref name="configure"/> only.</summary>
    public static FastAttnBuilder AddFastAttn(this IServiceCollection services, Action<FastAttnOptions> configure) =>
        services.AddFastAttn(null, configure);

    /// <summary>
    /// Adds <paramref name="family"/> to the model families engines load (tried before the built-in ones, replacing one of
    /// the same name); a configured model names it by <see cref="FastAttnModelOptions.Kind"/> or is detected by it.
    /// </summary>
    public static IServiceCollection AddFastAttnModelFamily(this IServiceCollection services, IModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(family);
        services.AddSingleton(family);
        return services;
    }

    /// <summary>
    /// Adds what local engines are made of without adding one: the options' validation, the <see cref="ModelFamilyRegistry"/>
    /// (<see cref="ModelFamilyRegistry.Default"/> plus each registered <see cref="IModelFamily"/>) and an
    /// <see cref="IFastAttnEngineFactory"/> (for hosts with one engine per device). <c>AddFastAttn</c> calls it.
    /// </summary>
    public static IServiceCollection AddFastAttnEngineFactory(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FastAttnOptions>, FastAttnOptionsValidator>());
        services.TryAddSingleton(sp => sp.GetServices<IModelFamily>().Aggregate(ModelFamilyRegistry.Default, (registry, f) => registry.With(f)));
        services.TryAddSingleton<IFastAttnEngineFactory>(sp => new FastAttnEngineFactory(sp.GetRequiredService<ModelFamilyRegistry>(),
            sp.GetService<ILoggerFactory>(), sp.GetService<ISharedPlanStore>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<IAttentionCostModel>(), sp.GetService<TimeProvider>()));
        return services;
    }

    /// <summary>
    /// Registers <see cref="IImageGenerator"/> over the engine for <paramref name="model"/> (null: the default model) and
    /// returns Microsoft.Extensions.AI's builder, so <c>UseLogging()</c>, <c>UseOpenTelemetry()</c> and others compose.
    /// Call <see cref="AddFastAttn(IServiceCollection, IConfiguration?, Action{FastAttnOptions}?)"/> too.
    /// </summary>
    public static ImageGeneratorBuilder AddFastAttnImageGenerator(this IServiceCollection services, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddImageGenerator(sp => new FastAttnImageGenerator(sp.GetRequiredService<IFastAttnEngine>(), model));
    }

    /// <summary>Registers an <see cref="IImageGenerator"/> keyed by <paramref name="model"/>'s name, with its builder.</summary>
    public static ImageGeneratorBuilder AddKeyedFastAttnImageGenerator(this IServiceCollection services, string model)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return services.AddKeyedImageGenerator(model, sp => new FastAttnImageGenerator(sp.GetRequiredService<IFastAttnEngine>(), model));
    }

    /// <summary>The model names known at registration time: configured ones and the built-in models.</summary>
    private static IEnumerable<string> ModelNames(IConfigurationSection? section, Action<FastAttnOptions>? configure)
    {
        var probe = new FastAttnOptions();
        section?.Bind(probe);
        configure?.Invoke(probe);
        return probe.Models.Keys.Concat(Engine.Pipelines.BuiltInModels.Names).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }
}
