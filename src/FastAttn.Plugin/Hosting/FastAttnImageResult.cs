namespace FastAttn.Plugin.Hosting;

/// <summary>One generated image: PNG bytes and where they were saved.</summary>
/// <param name="Png">The PNG file's bytes.</param>
/// <param name="Path">The saved file.</param>
/// <param name="Seed">Its seed (same seed, same settings → same image).</param>
/// <param name="Subject">What it shows: the class name (class-conditional models) or the prompt (text-to-image models).</param>
/// <param name="ClassId">The class it was conditioned on (class-conditional models), else null.</param>
public sealed record FastAttnImage(byte[] Png, string Path, long Seed, string Subject, int? ClassId = null)
{
    /// <summary>The saved file as a <c>file://</c> URI.</summary>
    public Uri Uri => new(System.IO.Path.GetFullPath(Path));
}

/// <summary>The outcome of a <see cref="FastAttnImageRequest"/>, with what was really done.</summary>
public sealed record FastAttnImageResult
{
    /// <summary>The images.</summary>
    public required IReadOnlyList<FastAttnImage> Images { get; init; }

    /// <summary>The model's name.</summary>
    public required string Model { get; init; }

    /// <summary>The preset asked for ("raw", "D3", or "δ=0.06").</summary>
    public required string Preset { get; init; }

    /// <summary>Whether a DiTFastAttn plan was applied (false: the model ran uncompressed; <see cref="Notes"/> say why).</summary>
    public bool Compressed { get; init; }

    /// <summary>The plan file used.</summary>
    public string? PlanPath { get; init; }

    /// <summary>Attention-module FLOPs of the run as a fraction of full attention (1 when uncompressed).</summary>
    public double AttentionFlopsFraction { get; init; } = 1;

    /// <summary>Attention FLOPs the plan avoided versus full attention (0 when uncompressed).</summary>
    public double AttentionFlopsSaved { get; init; }

    /// <summary>Width and height of the images in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>Whether the images were resized from the model's size (<see cref="Options.FastAttnOptions.AllowResize"/>).</summary>
    public bool Resized { get; init; }

    /// <summary>Steps, sampler and guidance used.</summary>
    public int Steps { get; init; }

    /// <summary>The sampler.</summary>
    public string Scheduler { get; init; } = "";

    /// <summary>The guidance scale.</summary>
    public double GuidanceScale { get; init; }

    /// <summary>Time spent generating (not waiting in the queue).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Time spent waiting in the queue.</summary>
    public TimeSpan QueueWait { get; init; }

    /// <summary>Things the caller should know (e.g. "no plan for D3 with these settings; ran uncompressed").</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
