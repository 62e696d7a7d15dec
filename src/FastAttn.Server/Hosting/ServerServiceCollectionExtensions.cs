using FastAttn.Plugin.DependencyInjection;
using FastAttn.Server.Endpoints;
using FastAttn.Server.Errors;
using FastAttn.Server.Idempotency;
using FastAttn.Server.Jobs;
using FastAttn.Server.Metrics;
using FastAttn.Server.Outputs;
using FastAttn.Server.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Hosting;

/// <summary>Registers the HTTP server's services over the plugin's engine registration (<c>AddFastAttn</c>).</summary>
public static class ServerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (section <c>"FastAttn"</c>), the server's options (section <c>"FastAttn:Server"</c>, validated at
    /// start), the job, idempotency, output and metric stores, error handling, the drain and the OpenAPI document.
    /// Returns the engine's builder (tests end it in a fake engine).
    /// </summary>
    public static FastAttnBuilder AddFastAttnServer(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FastAttnServerOptions>().Bind(configuration.GetSection(FastAttnServerOptions.SectionName))
            .Validate(o => o.MaxBodyBytes > 0 && o.MaxPromptChars > 0, "FastAttn:Server:MaxBodyBytes and MaxPromptChars must be positive.")
            .Validate(o => o.OutputTtl > TimeSpan.Zero && o.JobTtl > TimeSpan.Zero && o.IdempotencyTtl > TimeSpan.Zero,
                "FastAttn:Server:OutputTtl, JobTtl and IdempotencyTtl must be positive.")
            .Validate(o => o.PublicBaseUrl is null || Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _),
                "FastAttn:Server:PublicBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        var engine = services.AddFastAttn(configuration, o =>
            o.AllowResize |= configuration.GetValue<bool>(FastAttnServerOptions.SectionName + ":Resize"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DrainCoordinator>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DrainCoordinator>());
        services.AddSingleton<ListenAddressCheck>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ListenAddressCheck>());
        services.AddSingleton<ServedOutputStore>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<JobRegistry>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<ImageRequestMapper>();
        services.AddSingleton<ImageResponses>();
        services.AddSingleton<ImageGenerationService>();
        services.AddSingleton<MetricAggregator>();
        services.AddSingleton<ServerTelemetry>();
        services.AddExceptionHandler<ErrorWriter>();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = ServerJson.Options.PropertyNamingPolicy;
            o.SerializerOptions.DefaultIgnoreCondition = ServerJson.Options.DefaultIgnoreCondition;
            o.SerializerOptions.Encoder = ServerJson.Options.Encoder;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<FastAttnServerOptions>>((host, server) =>
            host.ShutdownTimeout = server.Value.DrainTimeout + TimeSpan.FromSeconds(15));
        services.AddOpenApi();
        return engine;
    }
}
