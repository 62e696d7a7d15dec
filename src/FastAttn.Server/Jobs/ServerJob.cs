using FastAttn.Plugin.Hosting;
using FastAttn.Server.Errors;

namespace FastAttn.Server.Jobs;

/// <summary>
/// A generation the server runs in the background (an image job of the web page, a video): its state, its progress
/// events (<see cref="Events"/>) and, once done, its result or error. Reported progress moves it to <c>in_progress</c>.
/// </summary>
public sealed class ServerJob : IProgress<FastAttnProgress>
{
    private readonly Lock _lock = new();

    /// <summary>Creates a queued job.</summary>
    public ServerJob(string id, string kind, string model, string preset, DateTimeOffset createdAt)
    {
        Id = id;
        Kind = kind;
        Model = model;
        Preset = preset;
        CreatedAt = createdAt;
    }

    /// <summary>The job's id (<c>imgjob_…</c> or <c>video_…</c>).</summary>
    public string Id { get; }

    /// <summary><c>image</c> or <c>video</c>.</summary>
    public string Kind { get; }

    /// <summary>The model.</summary>
    public string Model { get; }

    /// <summary>The preset it runs at.</summary>
    public string Preset { get; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When it ended (null: not yet).</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary><c>queued</c>, <c>in_progress</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public string Status { get; private set; } = "queued";

    /// <summary>Steps done and steps of the run (0 of 0 before the first).</summary>
    public (int Step, int Steps) Progress { get; private set; }

    /// <summary>The result (an <c>ImageGenerationResponse</c> or a <c>VideoResult</c>), once completed.</summary>
    public object? Result { get; private set; }

    /// <summary>The error, once failed or cancelled.</summary>
    public ApiException? Error { get; private set; }

    /// <summary>The job's events, from the first.</summary>
    public JobEvents Events { get; } = new();

    /// <summary>The run (set once when started).</summary>
    public SharedRun<object>? Run { get; set; }

    /// <inheritdoc />
    public void Report(FastAttnProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_lock)
        {
            if (CompletedAt is not null) return;
            Status = "in_progress";
            Progress = (value.Step, value.TotalSteps);
        }
        Events.Add(new JobEvent("progress", new ProgressEvent(value.Step, value.TotalSteps, Preset)));
    }

    /// <summary>Ends the job with <paramref name="result"/> (<paramref name="doneEvent"/> is the <c>done</c> event's data).</summary>
    public void Complete(object result, object doneEvent, DateTimeOffset now)
    {
        lock (_lock)
        {
            Result = result;
            Status = "completed";
            CompletedAt = now;
        }
        Events.Add(new JobEvent("done", doneEvent), last: true);
    }

    /// <summary>Ends the job with <paramref name="error"/> (<paramref name="cancelled"/>: the client went away or shutdown).</summary>
    public void Fail(ApiException error, bool cancelled, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_lock)
        {
            Error = error;
            Status = cancelled ? "cancelled" : "failed";
            CompletedAt = now;
        }
        Events.Add(new JobEvent("error", error.ToBody()), last: true);
    }
}

/// <summary>The data of a <c>progress</c> event.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="Steps">Steps of the run.</param>
/// <param name="Preset">The preset.</param>
public sealed record ProgressEvent(int Step, int Steps, string Preset);
