using FastAttn.Server.Errors;
using FastAttn.Server.Jobs;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// The image routes: <c>POST /v1/images/generations</c> (OpenAI's, synchronous) and FastAttn's image jobs with progress
/// events (<c>POST /v1/fastattn/images/jobs</c>, <c>GET …/{id}</c>, <c>GET …/{id}/events</c>, <c>DELETE …/{id}</c>).
/// </summary>
public static class ImageEndpoints
{
    /// <summary>The image jobs' route.</summary>
    public const string JobsRoute = "/v1/fastattn/images/jobs";

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapImageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/images/generations", (HttpContext context, ImageGenerationService images) => images.GenerateAsync(context))
            .Accepts<ImageGenerationRequest>("application/json")
            .Produces<ImageGenerationResponse>()
            .Produces<OpenAIErrorResponse>(StatusCodes.Status400BadRequest)
            .WithName("CreateImage").WithSummary("Generates images (OpenAI's images API).");

        app.MapPost(JobsRoute, async (HttpContext context, ImageGenerationService images) =>
            {
                var job = await images.StartJobAsync(context).ConfigureAwait(false);
                return Results.Json(JobView.Of(job), ServerJson.Options, statusCode: StatusCodes.Status202Accepted);
            })
            .Accepts<ImageGenerationRequest>("application/json")
            .Produces<JobView>(StatusCodes.Status202Accepted)
            .WithName("CreateImageJob").WithSummary("Starts an image generation; watch it at {id}/events.");

        app.MapGet(JobsRoute + "/{id}", (string id, JobRegistry jobs) => Results.Json(JobView.Of(jobs.Get(id, "image")), ServerJson.Options))
            .Produces<JobView>().WithName("GetImageJob").WithSummary("An image job's status and, once done, its result.");

        app.MapGet(JobsRoute + "/{id}/events", (string id, HttpContext context, JobRegistry jobs) =>
                EventStream.WriteAsync(context, jobs.Get(id, "image")))
            .WithName("WatchImageJob").WithSummary("Server-sent events: progress {step, steps, preset}, then done or error.");

        app.MapDelete(JobsRoute + "/{id}", (string id, JobRegistry jobs) =>
            {
                var job = jobs.Get(id, "image");
                job.Run?.Cancel();
                return Results.Json(JobView.Of(job), ServerJson.Options);
            })
            .Produces<JobView>().WithName("CancelImageJob").WithSummary("Cancels an image job.");
        return app;
    }
}
