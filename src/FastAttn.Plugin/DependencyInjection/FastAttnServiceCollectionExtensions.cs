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

/// <summary>Registers the FastAttn engine service, its options, health check, and its Semantic Kernel and Microsoft.Extensions.AI faces.</summary>
public static class FastAttnServiceCollectionExtensions
{
    /// <summary>
    /// Adds the FastAttn engine (a hosted service), options (section <c>"FastAttn"</c> of <paramref name="configuration"/>
    /// when given, then <paramref name="configure"/>), validated at start; a health check named <c>fastattn</c>; the
    /// <see cref="FastAttnImagePlugin"/> and <see cref="FastAttnVideoPlugin"/>; and <see cref="ITextToImageService"/> for the default model plus one keyed by
    /// each configured model's name. When an <see cref="IFastAttnEngine"/> is registered already (a cluster client), the
    /// faces use it and no local engine is added.
    /// </summary>
    public static IServiceCollection AddFastAttn(this IServiceCollection services, IConfiguration? configuration = null, Action<FastAttnOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<FastAttnOptions>();
        var section = configuration?.GetSection(FastAttnOptions.SectionName);
        if (section is not null) builder.Bind(section);
        if (configure is not null) builder.Configure(configure);
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FastAttnOptions>, FastAttnOptionsValidator>());

        if (!services.Any(d => d.ServiceType == typeof(FastAttnImagePlugin)))
        {
            if (!services.Any(d => d.ServiceType == typeof(IFastAttnEngine)))                    // else: an engine elsewhere (a cluster client)
            {
                services.AddSingleton(sp => new FastAttnEngineService(sp.GetRequiredService<IOptions<FastAttnOptions>>(),
                    sp.GetService<ILoggerFactory>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetService<ISharedPlanStore>()));
                services.AddSingleton<IFastAttnEngine>(sp => sp.GetRequiredService<FastAttnEngineService>());
                services.AddHostedService(sp => sp.GetRequiredService<FastAttnEngineService>());
            }
            services.AddSingleton<FastAttnImagePlugin>();
            services.AddSingleton<FastAttnVideoPlugin>();
            services.AddHealthChecks().AddCheck<FastAttnHealthCheck>("fastattn", tags: ["fastattn"]);
            services.TryAddSingleton<ITextToImageService>(sp => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>()));
        }

        foreach (var model in ModelNames(section, configure))
            services.AddKeyedSingleton<ITextToImageService>(model, (sp, _) => new FastAttnTextToImageService(sp.GetRequiredService<IFastAttnEngine>(), model));
        return services;
    }

    /// <summary>Adds the FastAttn engine configured by <paramref name="configure"/> only.</summary>
    public static IServiceCollection AddFastAttn(this IServiceCollection services, Action<FastAttnOptions> configure) =>
        services.AddFastAttn(null, configure);

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
