using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>What to generate with a <see cref="DiTPipeline"/>: one image per class label, each with its own seed.</summary>
public sealed record DiTGenerationRequest
{
    /// <summary>Class label of each image (0-based, below the model's class count).</summary>
    public required IReadOnlyList<int> ClassLabels { get; init; }

    /// <summary>
    /// Seed of each image (same count as <see cref="ClassLabels"/>), or one seed: image i then uses seed + i.
    /// An image depends only on its own label and seed, never on the batch it is generated in.
    /// </summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0];

    /// <summary>Denoising steps.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The sampler (one fresh scheduler is created per generation).</summary>
    public required IDiffusionSchedulerFactory Scheduler { get; init; }

    /// <summary>Classifier-free guidance scale; 1 or less disables guidance (no unconditional pass).</summary>
    public double GuidanceScale { get; init; } = 4.0;

    /// <summary>Which channels guidance extrapolates (the reference's first three, or all latent channels).</summary>
    public GuidedChannels GuidedChannels { get; init; } = GuidedChannels.ReferenceFirstThree;

    /// <summary>Latent (or pixel) side to sample at; null = the model's trained input size.</summary>
    public int? Size { get; init; }

    /// <summary>Starting noise (B, C, h, w) to use instead of drawing it from the seeds (reproducing a reference run).</summary>
    public Tensor? InitialNoise { get; init; }

    /// <summary>Noise for stochastic samplers to use instead of the seeds' generators (reproducing a reference run).</summary>
    public INoiseSource? StepNoise { get; init; }

    /// <summary>
    /// Images per transformer call. 1 (default) makes every image bit-identical whether it is generated alone or in a
    /// batch (matrix kernels round differently for other batch sizes); 0 runs the whole batch in one call (faster on GPUs).
    /// </summary>
    public int SamplesPerForward { get; init; } = 1;

    /// <summary>The DiTFastAttn plan to compress attention with; null runs full attention. Must match the model and settings.</summary>
    public CompressionPlan? Plan { get; init; }

    /// <summary>Optional cap on the plan's cache memory (bytes); steps whose cache would not fit fall back to full attention.</summary>
    public long? CacheCapBytes { get; init; }

    /// <summary>The device's attention cost model, which picks each window's implementation (null: the built-in choice).</summary>
    public FastAttn.Engine.Attention.Costs.IAttentionCostModel? CostModel { get; init; }

    /// <summary>
    /// Time the self-attention modules (the result's <see cref="ImageGenerationResult.AttentionTime"/>); on a GPU this
    /// synchronises the device around every attention call, so leave it off outside benchmarks.
    /// </summary>
    public bool TimeAttention { get; init; }

    /// <summary>The seed of image <paramref name="index"/>.</summary>
    public long SeedFor(int index) => Seeds.Count == 1 ? Seeds[0] + index : Seeds[index];
}
