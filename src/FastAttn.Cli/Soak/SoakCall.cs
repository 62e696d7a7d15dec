using FastAttn.Plugin.Hosting;

namespace FastAttn.Cli.Soak;

/// <summary>What a soak request is meant to exercise.</summary>
internal enum SoakKind
{
    /// <summary>A good single image.</summary>
    Image,

    /// <summary>A good image with the settings other batchable requests share (the engine may batch them).</summary>
    Batchable,

    /// <summary>A good clip on the tiny video model.</summary>
    Video,

    /// <summary>A request the engine must refuse with a typed error (one validation rule each).</summary>
    Bad,

    /// <summary>A request over a limit (images, steps, size, prompt length).</summary>
    Oversized,

    /// <summary>A good request the client cancels at a random point (queued, mid-step, mid-save).</summary>
    Cancelled,

    /// <summary>A cluster job submitted twice under one idempotency key: one job, one result.</summary>
    Duplicate,

    /// <summary>
    /// Good images sent at once by one client, more than the queue holds (<see cref="SoakSettings.Burst"/>): those that find
    /// the queue full must be refused at once, the others succeed.
    /// </summary>
    Burst,
}

/// <summary>How a soak request ended, seen from the client.</summary>
internal enum SoakOutcome
{
    /// <summary>Answered with files that decode.</summary>
    Succeeded,

    /// <summary>Refused or failed with a typed error (request, queue full, model load, output, job failed).</summary>
    FailedTyped,

    /// <summary>Cancelled (by the client, or its deadline).</summary>
    Cancelled,

    /// <summary>No answer within its deadline, answered twice, or answered with files that do not decode.</summary>
    Lost,

    /// <summary>Failed with an exception no caller could act on (not typed): a bug.</summary>
    Untyped,
}

/// <summary>One soak request: what it is, what it sends, when its client cancels it and its deadline.</summary>
internal sealed record SoakCall(int Id, SoakKind Kind, string Label, TimeSpan Deadline)
{
    /// <summary>The image request (image kinds).</summary>
    public FastAttnImageRequest? Image { get; init; }

    /// <summary>The video request (video).</summary>
    public FastAttnVideoRequest? Video { get; init; }

    /// <summary>When the client cancels it (cancelled kind).</summary>
    public TimeSpan? CancelAfter { get; init; }

    /// <summary>The idempotency key (cluster jobs).</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Whether a success is the right answer (good kinds).</summary>
    public bool ShouldSucceed => Kind is SoakKind.Image or SoakKind.Batchable or SoakKind.Video or SoakKind.Duplicate;
}

/// <summary>A transport's answer: the files it returned (PNG or GIF bytes) and where they were saved.</summary>
internal sealed record SoakAnswer(IReadOnlyList<byte[]> Files, IReadOnlyList<string> Paths);

/// <summary>A typed refusal a transport reports as text (the kernel functions answer "Could not generate: …").</summary>
internal sealed class SoakRefusedException(string message) : Exception(message);
