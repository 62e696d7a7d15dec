namespace FastAttn.Plugin.Hosting;

/// <summary>The outcome of a <see cref="FastAttnVideoRequest"/>: the saved animated GIF and what was really done.</summary>
public sealed record FastAttnVideoResult
{
    /// <summary>The GIF's bytes.</summary>
    public required byte[] Gif { get; init; }

    /// <summary>The saved GIF.</summary>
    public required string Path { get; init; }

    /// <summary>The saved GIF as a <c>file://</c> URI.</summary>
    public Uri Uri => new(System.IO.Path.GetFullPath(Path));

    /// <summary>The model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The prompt.</summary>
    public required string Prompt { get; init; }

    /// <summary>The preset asked for.</summary>
    public required string Preset { get; init; }

    /// <summary>Whether a DiTFastAttn plan was applied (to the spatial attention).</summary>
    public bool Compressed { get; init; }

    /// <summary>The plan file used.</summary>
    public string? PlanPath { get; init; }

    /// <summary>Spatial-attention FLOPs of the run as a fraction of full attention (1 when uncompressed).</summary>
    public double AttentionFlopsFraction { get; init; } = 1;

    /// <summary>Attention FLOPs the plan avoided versus full attention (0 when uncompressed).</summary>
    public double AttentionFlopsSaved { get; init; }

    /// <summary>Frames, width, height and playback fps of the clip.</summary>
    public int Frames { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>Playback frames per second.</summary>
    public double Fps { get; init; }

    /// <summary>The seed.</summary>
    public long Seed { get; init; }

    /// <summary>Steps used.</summary>
    public int Steps { get; init; }

    /// <summary>Time spent generating.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Time spent waiting in the queue (shared with image jobs).</summary>
    public TimeSpan QueueWait { get; init; }

    /// <summary>Things the caller should know.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
