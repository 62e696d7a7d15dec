using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Pipelines;

/// <summary>What to generate with a <see cref="PixArtPipeline"/>: one image per prompt, each with its own seed.</summary>
public sealed record PixArtGenerationRequest
{
    /// <summary>The prompts (one image each); may be empty when <see cref="PromptEmbeddings"/> are given.</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];

    /// <summary>Precomputed caption embeddings instead of <see cref="Prompts"/> (one image per row).</summary>
    public CaptionEmbeddings? PromptEmbeddings { get; init; }

    /// <summary>Precomputed embeddings of the negative prompt (one row, or one per image) instead of <see cref="NegativePrompt"/>.</summary>
    public CaptionEmbeddings? NegativeEmbeddings { get; init; }

    /// <summary>Images in the batch: the prompts, or the rows of <see cref="PromptEmbeddings"/>.</summary>
    public int Count => PromptEmbeddings is CaptionEmbeddings e ? (int)e.Count : Prompts.Count;

    /// <summary>The negative prompt, encoded for the unconditional half of guidance ("" by default, as PixArt).</summary>
    public string NegativePrompt { get; init; } = "";

    /// <summary>
    /// A negative prompt per image (same count as the images) instead of <see cref="NegativePrompt"/>: what a batch of
    /// several requests with their own negative prompts uses. Null: <see cref="NegativePrompt"/> for every image.
    /// </summary>
    public IReadOnlyList<string>? NegativePrompts { get; init; }

    /// <summary>
    /// Images per transformer call: 0 (default) runs the whole batch in one call; n splits it into calls of at most n images
    /// (less memory). An image equals itself generated in another batch up to floating-point summation order.
    /// </summary>
    public int SamplesPerForward { get; init; }

    /// <summary>Seed of each image, or one seed: image i then uses seed + i.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0];

    /// <summary>Denoising steps (PixArt-Sigma: 20).</summary>
    public int Steps { get; init; } = 20;

    /// <summary>The sampler; null uses the pipeline's (its scheduler_config.json).</summary>
    public IDiffusionSchedulerFactory? Scheduler { get; init; }

    /// <summary>Classifier-free guidance scale (PixArt-Sigma: 4.5); 1 or less runs the prompts alone.</summary>
    public double GuidanceScale { get; init; } = 4.5;

    /// <summary>Image width in pixels; null = the model's trained size.</summary>
    public int? Width { get; init; }

    /// <summary>Image height in pixels; null = the model's trained size.</summary>
    public int? Height { get; init; }

    /// <summary>
    /// Generate at the trained aspect-ratio bucket nearest the requested size, then resize and centre-crop to it (the
    /// reference's default, for 256/512/1024/2048-px models); false generates at the requested size itself.
    /// </summary>
    public bool ResolutionBinning { get; init; } = true;

    /// <summary>
    /// Clean prompts as the reference does by default (<see cref="Conditioning.CaptionCleaner"/>: URLs, HTML, handles,
    /// codes, punctuation runs …); false only lower-cases and trims them.
    /// </summary>
    public bool CleanCaption { get; init; } = true;

    /// <summary>Caption tokens (PixArt-Sigma: 300); longer prompts are truncated.</summary>
    public int MaxTokens { get; init; } = 300;

    /// <summary>
    /// The DiTFastAttn plan for the self-attention (keyed by this model, the latent size generated at, steps, sampler and
    /// guidance); null runs full attention.
    /// </summary>
    public Compression.CompressionPlan? Plan { get; init; }

    /// <summary>Optional cap on the plan's cache memory (bytes); steps whose cache would not fit fall back to full attention.</summary>
    public long? CacheCapBytes { get; init; }

    /// <summary>The device's attention cost model, which picks each window's implementation (null: the built-in choice).</summary>
    public FastAttn.Engine.Attention.Costs.IAttentionCostModel? CostModel { get; init; }

    /// <summary>Time the self-attention modules (the result's AttentionTime); synchronises a GPU around each call.</summary>
    public bool TimeAttention { get; init; }

    /// <summary>The seed of image <paramref name="index"/>.</summary>
    public long SeedFor(int index) => Seeds.Count == 1 ? Seeds[0] + index : Seeds[index];
}
