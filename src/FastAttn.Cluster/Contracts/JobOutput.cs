namespace FastAttn.Cluster.Contracts;

/// <summary>
/// What a finished job produced: the names of its files in the shared result store (the bytes never travel through grain
/// messages) and what was really done.
/// </summary>
[GenerateSerializer, Alias("fastattn.JobOutput"), Immutable]
public sealed record JobOutput
{
    /// <summary>File names under the job's folder of the result store (PNGs in order, or the clip's GIF).</summary>
    [Id(0)] public required IReadOnlyList<string> Files { get; init; }

    /// <summary>The seed of each image (one for a clip).</summary>
    [Id(1)] public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>What it shows: class name or prompt.</summary>
    [Id(2)] public required string Subject { get; init; }

    /// <summary>The class id (class-conditional models).</summary>
    [Id(3)] public int? ClassId { get; init; }

    /// <summary>The model's name.</summary>
    [Id(4)] public required string Model { get; init; }

    /// <summary>The preset applied.</summary>
    [Id(5)] public required string Preset { get; init; }

    /// <summary>Whether a DiTFastAttn plan was applied.</summary>
    [Id(6)] public bool Compressed { get; init; }

    /// <summary>The plan file on the host that ran it.</summary>
    [Id(7)] public string? PlanPath { get; init; }

    /// <summary>Attention FLOPs as a fraction of full attention.</summary>
    [Id(8)] public double AttentionFlopsFraction { get; init; } = 1;

    /// <summary>Width in pixels.</summary>
    [Id(9)] public int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    [Id(10)] public int Height { get; init; }

    /// <summary>Whether the images were resized.</summary>
    [Id(11)] public bool Resized { get; init; }

    /// <summary>Denoising steps.</summary>
    [Id(12)] public int Steps { get; init; }

    /// <summary>The sampler (images).</summary>
    [Id(13)] public string Scheduler { get; init; } = "";

    /// <summary>Guidance scale (images).</summary>
    [Id(14)] public double GuidanceScale { get; init; }

    /// <summary>Time spent generating.</summary>
    [Id(15)] public TimeSpan Elapsed { get; init; }

    /// <summary>Time spent in the host's queue.</summary>
    [Id(16)] public TimeSpan QueueWait { get; init; }

    /// <summary>Notes for the caller.</summary>
    [Id(17)] public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Frames (clips).</summary>
    [Id(18)] public int Frames { get; init; }

    /// <summary>Playback frames per second (clips).</summary>
    [Id(19)] public double Fps { get; init; }

    /// <summary>The host that generated it.</summary>
    [Id(20)] public required string Host { get; init; }

    /// <summary>The worker (host/device) that generated it.</summary>
    [Id(21)] public required string Worker { get; init; }
}
