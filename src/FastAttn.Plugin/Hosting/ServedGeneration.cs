using FastAttn.Engine.Compression;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// One checked request, ready to run on its model: what the plan for it is keyed by, how to search that plan, and the
/// rendering itself (to PNG bytes, on the calling thread, every tensor freed).
/// </summary>
internal abstract class ServedGeneration
{
    /// <summary>What the images show: the class name (class-conditional) or the prompt (text to image).</summary>
    public required string Subject { get; init; }

    /// <summary>The class id for class-conditional models.</summary>
    public int? ClassId { get; init; }

    /// <summary>Width of the delivered images.</summary>
    public required int Width { get; init; }

    /// <summary>Height of the delivered images.</summary>
    public required int Height { get; init; }

    /// <summary>A note when the images were generated at another size and resized, else null.</summary>
    public string? ResizeNote { get; init; }

    /// <summary>The settings in words, for notes ("32x32, 25 ddim steps, guidance 5").</summary>
    public required string Settings { get; init; }

    /// <summary>The sampler's name.</summary>
    public required string Scheduler { get; init; }

    /// <summary>Seed of image <paramref name="index"/>.</summary>
    public abstract long SeedFor(int index);

    /// <summary>The plan-search options of a plan for this generation at δ = <paramref name="delta"/>.</summary>
    public abstract PlanSearchOptions SearchOptions(double delta);

    /// <summary>The key such a plan has (<paramref name="fingerprint"/>: the model's, computed once at load).</summary>
    public abstract PlanKey KeyFor(PlanSearchOptions options, string fingerprint);

    /// <summary>Searches the plan (SearchOnDemand).</summary>
    public abstract CompressionPlan Search(PlanSearchOptions options, CancellationToken cancellationToken);

    /// <summary>Full-attention module FLOPs of the whole run (every layer, step, image and CFG half).</summary>
    public abstract double RawAttentionFlops { get; }

    /// <summary>Runs the generation with <paramref name="plan"/> (null: full attention) and encodes the images as PNG.</summary>
    public abstract byte[][] Render(CompressionPlan? plan, CancellationToken cancellationToken);
}
