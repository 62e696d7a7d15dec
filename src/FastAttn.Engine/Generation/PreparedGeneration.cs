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
    /// cross-attention tokens, and a video model's frames per temporal attention call (null when the family does not say; a
    /// plan's own <see cref="CompressionPlan.Flops"/> is then used).
    /// </summary>
    public virtual FlopsShape? AttentionShape => null;

    /// <summary>
    /// The temporal self-attention plan every run of a video generation applies beside the plan given to <see cref="Run"/>
    /// (<see cref="VideoRequest.TemporalPlan"/>), for the whole transformer's FLOPs and time; null: full temporal attention, or
    /// a model without one.
    /// </summary>
    public virtual CompressionPlan? TemporalPlan => null;

    /// <summary>
    /// Generations that can share forward passes have equal keys: same model, size, steps, sampler, guidance (and frames);
    /// the plan is the caller's to match. Null (the default): this generation always runs alone.
    /// </summary>
    public virtual string? BatchKey => null;

    /// <summary>Estimated bytes one item adds to a forward pass's working memory (activations and plan caches); 0 when unknown.</summary>
    public virtual long ItemBytes => 0;

    /// <summary>
    /// Runs <paramref name="members"/> (equal, non-null <see cref="BatchKey"/>s when more than one) with one
    /// <paramref name="plan"/> as one batch: every item of every member in the same forward passes. Returns one output per
    /// member, in order, each equal to that member run alone with <see cref="Run"/> (same seeds; equal up to floating-point
    /// summation order). Progress is the batch's; cancellation stops the whole batch between steps.
    /// </summary>
    /// <exception cref="ArgumentException">No members, or members that cannot share a batch.</exception>
    public static IReadOnlyList<GenerationOutput> RunTogether(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("A batch needs at least one member.", nameof(members));
        if (members.Count == 1) return [members[0].Run(plan, progress, cancellationToken)];
        var key = members[0].BatchKey;
        if (key is null || members.Any(m => m.BatchKey != key || m.GetType() != members[0].GetType()))
            throw new ArgumentException("Only generations with equal batch keys on the same model can share a batch.", nameof(members));
        return members[0].RunBatch(members, plan, progress, cancellationToken);
    }

    /// <summary>
    /// The family's batched run behind <see cref="RunTogether"/> (members already checked). The default runs each member
    /// alone in turn; a family overrides it to put every member's items in the same forward passes.
    /// </summary>
    protected virtual IReadOnlyList<GenerationOutput> RunBatch(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        var outputs = new List<GenerationOutput>(members.Count);
        try
        {
            foreach (var member in members) outputs.Add(member.Run(plan, progress, cancellationToken));
            return outputs;
        }
        catch
        {
            foreach (var output in outputs) output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Generates with <paramref name="plan"/> (null: full attention), on the calling thread. Reports each step; honours
    /// <paramref name="cancellationToken"/> between steps. The caller owns (disposes) the output.
    /// </summary>
    public abstract GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default);
}
