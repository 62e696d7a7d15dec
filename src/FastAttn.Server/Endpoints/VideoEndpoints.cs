using System.Globalization;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using FastAttn.Server.Idempotency;
using FastAttn.Server.Jobs;
using FastAttn.Server.Outputs;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// The video routes, in the shape of OpenAI's videos API: <c>POST /v1/videos</c> starts a job, <c>GET /v1/videos/{id}</c>
/// is its status, <c>GET /v1/videos/{id}/content</c> the GIF, <c>GET /v1/videos/{id}/events</c> its progress (SSE).
/// </summary>
public static class VideoEndpoints
{
    /// <summary>OpenAI's video model names, answered by the default video model.</summary>
    public static IReadOnlyList<string> OpenAINames { get; } = ["sora-2", "sora-2-pro"];

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapVideoEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/videos", StartAsync).Accepts<VideoGenerationRequest>("application/json").Produces<JobView>()
            .WithName("CreateVideo").WithSummary("Starts a clip; poll GET /v1/videos/{id} or watch /events, then GET /content.");
        app.MapGet("/v1/videos/{id}", (string id, JobRegistry jobs) => Results.Json(JobView.Of(jobs.Get(id, "video")), ServerJson.Options))
            .Produces<JobView>().WithName("GetVideo");
        app.MapGet("/v1/videos/{id}/content", (string id, JobRegistry jobs, ServedOutputStore store) =>
            {
                var job = jobs.Get(id, "video");
                if (job.Result is not VideoResult result)
                    throw ApiException.BadRequest($"The video '{id}' is {job.Status}, not completed.", "id", "video_not_ready");
                var name = result.ContentUrl[(result.ContentUrl.LastIndexOf('/') + 1)..];
                var file = store.Get(name) ?? throw ApiException.NotFound("The video's GIF");
                return Results.File(file.Bytes, file.ContentType);
            }).WithName("GetVideoContent").WithSummary("The clip as an animated GIF.");
        app.MapGet("/v1/videos/{id}/events", (string id, HttpContext context, JobRegistry jobs) =>
                EventStream.WriteAsync(context, jobs.Get(id, "video")))
            .WithName("WatchVideo").WithSummary("Server-sent events: progress {step, steps, preset}, then done or error.");
        app.MapDelete("/v1/videos/{id}", (string id, JobRegistry jobs) =>
            {
                var job = jobs.Get(id, "video");
                job.Run?.Cancel();
                return Results.Json(JobView.Of(job), ServerJson.Options);
            }).WithName("CancelVideo");
        return app;
    }

    private static async Task<IResult> StartAsync(HttpContext context, IFastAttnEngine engine, JobRegistry jobs, ServedOutputStore store,
        ImageResponses responses, ImageRequestMapper mapper, IdempotencyStore idempotency, DrainCoordinator drain,
        IOptions<FastAttnServerOptions> options, IOptions<FastAttnOptions> engineOptions)
    {
        drain.ThrowIfDraining();
        var (body, fingerprint) = await JsonBody.ReadAsync<VideoGenerationRequest>(context.Request, options.Value.MaxBodyBytes,
            context.RequestAborted).ConfigureAwait(false);
        if (body is null || string.IsNullOrWhiteSpace(body.Prompt)) throw ApiException.BadRequest("The prompt is missing.", "prompt");
        mapper.CheckPromptLength(body.Prompt, "prompt");
        var model = Model(body.Model, engine);
        var (width, height) = Size(body.Size);
        var preset = body.Preset ?? engineOptions.Value.VideoPreset;
        var request = new FastAttnVideoRequest
        {
            Prompt = body.Prompt, Model = model, Frames = body.Frames, Width = width, Height = height, Fps = body.Fps,
            Preset = body.Preset, Seed = body.Seed, Steps = body.Steps, GuidanceScale = body.GuidanceScale,
        };
        var baseUrl = responses.BaseUrl(context.Request);
        ServerJob Start() => jobs.Start("video_", "video", model, preset, async (job, ct) =>
        {
            var r = await engine.GenerateVideoAsync(request with { Progress = job }, ct).ConfigureAwait(false);
            var link = ImageResponses.Link(store.Add(r.Gif, "image/gif", ".gif"), baseUrl);
            var result = new VideoResult(link, r.Model, r.Preset, r.Compressed, r.AttentionFlopsFraction, r.Elapsed.TotalSeconds, r.Frames,
                r.Width, r.Height, r.Fps, r.Seed, r.Notes);
            return (result, result);
        });
        var key = context.Request.Headers[IdempotencyStore.Header].FirstOrDefault();
        var scope = "videos:" + (context.Items[Security.ApiKeyMiddleware.ClientItem] as string ?? "anonymous");
        var started = string.IsNullOrEmpty(key) ? Start() : idempotency.GetOrStart(scope, key, fingerprint, Start, JobRegistry.Succeeded);
        return Results.Json(JobView.Of(started), ServerJson.Options);
    }

    private static string Model(string? requested, IFastAttnEngine engine)
    {
        if (string.IsNullOrWhiteSpace(requested) || OpenAINames.Contains(requested.Trim(), StringComparer.OrdinalIgnoreCase))
            return engine.DefaultVideoModel ?? throw ApiException.BadRequest(
                "This server has no video model: name one, or configure FastAttn:DefaultVideoModel.", "model", "no_video_model");
        return engine.ModelNames.FirstOrDefault(n => n.Equals(requested.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw ApiException.ModelNotFound(requested.Trim(), engine.ModelNames.Concat(OpenAINames));
    }

    private static (int? Width, int? Height) Size(string? size)
    {
        if (string.IsNullOrWhiteSpace(size)) return (null, null);
        var parts = size.Split('x', 'X');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            ? (w, h) : throw ApiException.BadRequest($"The size '{size}' is not WIDTHxHEIGHT.", "size");
    }
}
