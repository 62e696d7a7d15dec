using FastAttn.Plugin.Hosting;
using FastAttn.Server.Hosting;
using FastAttn.Server.Idempotency;
using FastAttn.Server.Jobs;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// Runs image generations for the HTTP routes: synchronously (<c>POST /v1/images/generations</c>: the client's leaving
/// cancels it) or as a job with progress events; both honour <c>Idempotency-Key</c> and the drain.
/// </summary>
public sealed class ImageGenerationService(IFastAttnEngine engine, ImageRequestMapper mapper, ImageResponses responses,
    IdempotencyStore idempotency, DrainCoordinator drain, JobRegistry jobs, IOptions<FastAttnServerOptions> options,
    ILogger<ImageGenerationService> logger)
{
    /// <summary>Generates for the request in <paramref name="context"/> and returns the answer.</summary>
    public async Task<ImageGenerationResponse> GenerateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (mapped, fingerprint) = await ReadAsync(context).ConfigureAwait(false);
        var baseUrl = responses.BaseUrl(context.Request);
        SharedRun<ImageGenerationResponse> Start()
        {
            var run = new SharedRun<ImageGenerationResponse>(async ct =>
                responses.Build(await engine.GenerateAsync(mapped.Request, ct).ConfigureAwait(false), mapped.Url, baseUrl));
            drain.Track(run.Task, run.Cancel);
            return run;
        }
        var key = IdempotencyKey(context);
        var shared = key is null ? Start() : idempotency.GetOrStart(Scope(context, "generations"), key, fingerprint, Start, r => r.Task);
        return await shared.WaitAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Starts an image job for the request in <paramref name="context"/> (the same job again for a repeated key).</summary>
    public async Task<ServerJob> StartJobAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (mapped, fingerprint) = await ReadAsync(context).ConfigureAwait(false);
        var baseUrl = responses.BaseUrl(context.Request);
        ServerJob Start() => jobs.Start("imgjob_", "image", mapped.Request.Model!, mapped.Preset, async (job, ct) =>
        {
            var result = await engine.GenerateAsync(mapped.Request with { Progress = job }, ct).ConfigureAwait(false);
            var response = responses.Build(result, mapped.Url, baseUrl);
            return (response, response);
        });
        var key = IdempotencyKey(context);
        return key is null ? Start() : idempotency.GetOrStart(Scope(context, "jobs"), key, fingerprint, Start, JobRegistry.Succeeded);
    }

    private async Task<(MappedImageRequest Mapped, string Fingerprint)> ReadAsync(HttpContext context)
    {
        drain.ThrowIfDraining();
        var (body, fingerprint) = await JsonBody.ReadAsync<ImageGenerationRequest>(context.Request, options.Value.MaxBodyBytes,
            context.RequestAborted).ConfigureAwait(false);
        var mapped = await mapper.MapAsync(body, context.RequestAborted).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Image request for {Model} (user {User}): {Prompt}", mapped.Request.Model, body!.User, body.Prompt);
        return (mapped, fingerprint);
    }

    private static string? IdempotencyKey(HttpContext context) =>
        context.Request.Headers[IdempotencyStore.Header].FirstOrDefault() is { Length: > 0 } key ? key : null;

    /// <summary>Keys are per route and per client (the index of its API key; one scope without keys).</summary>
    private static string Scope(HttpContext context, string route) =>
        route + ":" + (context.Items[Security.ApiKeyMiddleware.ClientItem] as string ?? "anonymous");
}
