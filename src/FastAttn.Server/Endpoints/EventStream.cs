using System.Text.Json;
using FastAttn.Server.Jobs;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// Writes a job's events as server-sent events (<c>text/event-stream</c>), every event from the first, until <c>done</c>
/// or <c>error</c>. The stream counts as a watcher of the job: when the last watcher goes away, the job is cancelled.
/// </summary>
public static class EventStream
{
    /// <summary>Streams <paramref name="job"/>'s events to <paramref name="context"/>'s client.</summary>
    public static async Task WriteAsync(HttpContext context, ServerJob job)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(job);
        var aborted = context.RequestAborted;
        using var watching = job.Run?.Enter(aborted);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
        try
        {
            await foreach (var e in job.Events.ReadAllAsync(aborted).ConfigureAwait(false))
            {
                var data = JsonSerializer.Serialize(e.Data, e.Data.GetType(), ServerJson.Options);
                await context.Response.WriteAsync($"event: {e.Name}\ndata: {data}\n\n", aborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested) { }      // the client went away
    }
}
