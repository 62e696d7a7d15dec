using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using FastAttn.Server.Metrics;
using FastAttn.Server.Outputs;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// The small routes: <c>GET /v1/models</c> (OpenAI's list), <c>GET /v1/fastattn/config</c> (what the web page needs),
/// <c>GET /v1/fastattn/files/{name}</c> (stored outputs), <c>/metrics</c> (Prometheus) and <c>/healthz</c>.
/// </summary>
public static class InfoEndpoints
{
    /// <summary>The presets a request may name.</summary>
    public static IReadOnlyList<string> Presets { get; } = ["raw", "D1", "D2", "D3", "D4", "D5", "D6"];

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapInfoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (ModelCatalog models, TimeProvider time) =>
            {
                var created = time.GetUtcNow().ToUnixTimeSeconds();
                var data = models.Names.Select(n => new ModelEntry(n, "model", created, "fastattn")).ToArray();
                return Results.Json(new ModelList("list", data), ServerJson.Options);
            }).Produces<ModelList>().WithName("ListModels").WithSummary("The models (OpenAI's list shape).");

        app.MapGet("/v1/fastattn/config", (ModelCatalog models, IFastAttnEngine engine, IOptions<FastAttnOptions> engineOptions,
                IOptions<FastAttnServerOptions> server) =>
                Results.Json(new ServerConfig(models.DefaultModel, models.Names, engineOptions.Value.Preset, Presets, QualityPresets.Map,
                    server.Value.ApiKeys.Count > 0, engine.DefaultVideoModel, engine.Status.MaxBatch), ServerJson.Options))
            .Produces<ServerConfig>().WithName("GetConfig").WithSummary("Models, presets and the quality map, for the web page.");

        app.MapGet(ImageResponses.FilesRoute + "/{name}", (string name, ServedOutputStore store) =>
            {
                var file = store.Get(name) ?? throw ApiException.NotFound($"The file '{name}'");
                return Results.File(file.Bytes, file.ContentType);
            }).WithName("GetFile").WithSummary("A generated file linked from a url response, until it expires.");

        app.MapGet("/metrics", (MetricAggregator metrics) => Results.Text(PrometheusWriter.Write(metrics), PrometheusWriter.ContentType))
            .WithName("Metrics").WithSummary("Prometheus text format of the FastAttn meters.");
        app.MapHealthChecks("/healthz");
        return app;
    }
}

/// <summary>OpenAI's model list.</summary>
/// <param name="Object"><c>list</c>.</param>
/// <param name="Data">The models.</param>
public sealed record ModelList(string Object, IReadOnlyList<ModelEntry> Data);

/// <summary>One model.</summary>
/// <param name="Id">Its name.</param>
/// <param name="Object"><c>model</c>.</param>
/// <param name="Created">Unix seconds (the server's start).</param>
/// <param name="OwnedBy"><c>fastattn</c>.</param>
public sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);

/// <summary>What the web page needs to draw its pickers.</summary>
/// <param name="DefaultModel">The default model.</param>
/// <param name="Models">The models.</param>
/// <param name="DefaultPreset">The configured preset.</param>
/// <param name="Presets">The presets.</param>
/// <param name="Qualities">OpenAI's qualities and their presets (null: the configured one).</param>
/// <param name="KeysRequired">Whether requests need an API key.</param>
/// <param name="DefaultVideoModel">The default video model, if any.</param>
/// <param name="MaxBatch">Items the engine may run in one batch (1: no batching).</param>
public sealed record ServerConfig(string DefaultModel, IReadOnlyList<string> Models, string DefaultPreset, IReadOnlyList<string> Presets,
    IReadOnlyDictionary<string, string?> Qualities, bool KeysRequired, string? DefaultVideoModel, int MaxBatch);
