using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;

namespace FastAttn.Engine.Generation;

/// <summary>
/// One checked request on its model, with every default filled in: what it draws and at which size, the key and search
/// of a DiTFastAttn plan for it, its full-attention FLOPs, and the generation itself. Made by
/// <see cref="Families.IGenerativeModel.Prepare"/>; run on one thread at a time (the model serves several concurrently).
/// </summary>
public abstract class PreparedGeneration
{
    /// <summary>The request as given.</summary>
    public required GenerationRequest Request { get; init; }

    /// <summary>What the items show: the class name (class-conditional) or the prompt.</summary>
    public required string Subject { get; init; }

    /// <summary>The class id for class-conditional models.</summary>
    public int? ClassId { get; init; }

    /// <summary>Width of the delivered items in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Height of the delivered items in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>A note when the items are generated at another size and resized, else null.</summary>
    public string? ResizeNote { get; init; }

    /// <summary>Denoising steps.</summary>
    public required int Steps { get; init; }

    /// <summary>The sampler's name.</summary>
    public required string Scheduler { get; init; }

    /// <summary>Guidance scale.</summary>
    public required double GuidanceScale { get; init; }

    /// <summary>Video: frames per clip (null for images).</summary>
    public int? Frames { get; init; }

    /// <summary>Video: playback frames per second (null for images).</summary>
    public double? Fps { get; init; }

    /// <summary>The settings in words, for notes ("32px, 25 ddim steps, guidance 5").</summary>
    public required string Settings { get; init; }

    /// <summary>Items generated.</summary>
    public int Count => Request.Count;

    /// <summary>Seed of item <paramref name="index"/>.</summary>
    public long SeedFor(int index) => Request.Seed + index;

    /// <summary>
    /// The key of the plan for this generation at δ = <paramref name="threshold"/>, searched with <paramref name="settings"/>
    /// (null: the model's defaults). Plans are found again by this key.
    /// </summary>
    public abstract PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null);

    /// <summary>Searches that plan (seconds to minutes of compute); progress per layer, cancellation between layers.</summary>
    public abstract CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Full-attention module FLOPs of the whole run (every layer, step, item, frame and CFG half), derived from
    /// <see cref="AttentionShape"/>; 0 when the family gives no shape (override to count otherwise).
    /// </summary>
    public virtual double RawAttentionFlops
    {
        get
        {
            if (AttentionShape is not FlopsShape shape) return 0;
            var (perCall, _) = AttentionFlops.Layer(Attention.AttentionMethod.Full, false, shape, 0);
            return perCall * (shape.CfgBatch ? 2 : 1) * shape.Layers * Steps * Count * (Frames ?? 1);
        }
    }

    /// <summary>
    /// The shape a plan's FLOPs fractions are computed on: tokens per attention call, width, layers, CFG batch and
    /// cross-attention tokens (null when the family does not say; a plan's own <see cref="CompressionPlan.Flops"/> is then used).
    /// </summary>
    public virtual FlopsShape? AttentionShape => null;

    /// <summary>
    /// Generates with <paramref name="plan"/> (null: full attention), on the calling thread. Reports each step; honours
    /// <paramref name="cancellationToken"/> between steps. The caller owns (disposes) the output.
    /// </summary>
    public abstract GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default);
}
