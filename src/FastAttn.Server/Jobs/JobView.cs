using FastAttn.Server.Errors;

namespace FastAttn.Server.Jobs;

/// <summary>
/// A job as <c>GET</c> shows it (OpenAI's video object's shape): id, object, status, progress (0–100), step and steps,
/// model, preset, created_at and completed_at (Unix seconds), and once ended its result or error.
/// </summary>
/// <param name="Id">The id.</param>
/// <param name="Object"><c>image.job</c> or <c>video</c>.</param>
/// <param name="Status">queued, in_progress, completed, failed or cancelled.</param>
/// <param name="Progress">Percent of steps done.</param>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps of the run (0 until the first is done).</param>
/// <param name="Model">The model.</param>
/// <param name="Preset">The preset.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="CompletedAt">Unix seconds, once ended.</param>
/// <param name="Result">The result, once completed.</param>
/// <param name="Error">The error, once failed or cancelled.</param>
public sealed record JobView(string Id, string Object, string Status, int Progress, int Step, int Steps, string Model, string Preset,
    long CreatedAt, long? CompletedAt, object? Result, OpenAIError? Error)
{
    /// <summary>The view of <paramref name="job"/>.</summary>
    public static JobView Of(ServerJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var (step, steps) = job.Progress;
        int percent = job.Status == "completed" ? 100 : steps > 0 ? 100 * step / steps : 0;
        return new JobView(job.Id, job.Kind == "video" ? "video" : "image.job", job.Status, percent, step, steps, job.Model, job.Preset,
            job.CreatedAt.ToUnixTimeSeconds(), job.CompletedAt?.ToUnixTimeSeconds(), job.Result, job.Error?.ToBody().Error);
    }
}
