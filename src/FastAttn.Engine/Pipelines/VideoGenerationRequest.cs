using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Pipelines;

/// <summary>What to generate with an <see cref="OpenSoraPipeline"/>: one clip per prompt, each with its own seed.</summary>
public sealed record VideoGenerationRequest
{
    /// <summary>The prompts (one clip each); may be empty when <see cref="PromptEmbeddings"/> are given.</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];

    /// <summary>Precomputed caption embeddings instead of <see cref="Prompts"/> (one clip per row).</summary>
    public CaptionEmbeddings? PromptEmbeddings { get; init; }

    /// <summary>Seed of each clip, or one seed: clip i then uses seed + i.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0];

    /// <summary>Frames (Open-Sora v1.1: 16).</summary>
    public int Frames { get; init; } = 16;

    /// <summary>Pixel height (Open-Sora v1.1 at 240p: 240).</summary>
    public int Height { get; init; } = 240;

    /// <summary>Pixel width (426 at 240p; the latent is width / 8 rounded down, so the video is 424 wide).</summary>
    public int Width { get; init; } = 426;

    /// <summary>The fps the model is conditioned on (the source's: 24); single images use 120 as the reference.</summary>
    public double ConditionFps { get; init; } = 24;

    /// <summary>Playback fps of the output (the reference: 24 / frame interval 3 = 8).</summary>
    public double OutputFps { get; init; } = 8;

    /// <summary>Denoising steps (Open-Sora v1.1's inference config: 100 IDDPM steps; the paper used 200).</summary>
    public int Steps { get; init; } = 100;

    /// <summary>The sampler; null uses IDDPM as the reference.</summary>
    public IDiffusionSchedulerFactory? Scheduler { get; init; }

    /// <summary>Classifier-free guidance scale (7 in the reference), on the first three latent channels as the reference.</summary>
    public double GuidanceScale { get; init; } = 7.0;

    /// <summary>Clean prompts as the reference does (see <see cref="Conditioning.CaptionCleaner"/>).</summary>
    public bool CleanCaption { get; init; } = true;

    /// <summary>Caption tokens; null = the model's <c>model_max_length</c> (200 for the released weights).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>The DiTFastAttn plan for the spatial self-attention; null runs full attention.</summary>
    public Compression.CompressionPlan? Plan { get; init; }

    /// <summary>
    /// Optionally, a DiTFastAttn plan for the temporal self-attention (searched with
    /// <see cref="Models.OpenSora.VideoAttention.Temporal"/>).
    /// </summary>
    public Compression.CompressionPlan? TemporalPlan { get; init; }

    /// <summary>Optional cap on the plan's cache memory (bytes).</summary>
    public long? CacheCapBytes { get; init; }

    /// <summary>The device's attention cost model, which picks each window's implementation (null: the built-in choice).</summary>
    public FastAttn.Engine.Attention.Costs.IAttentionCostModel? CostModel { get; init; }

    /// <summary>Time the spatial self-attention modules (the result's AttentionTime).</summary>
    public bool TimeAttention { get; init; }

    /// <summary>Decode the latents with the VAE (false returns the latents as the frames).</summary>
    public bool Decode { get; init; } = true;

    /// <summary>
    /// Clips per transformer call: 0 (default) runs the whole batch in one call; n splits it into calls of at most n clips
    /// (less memory). A clip equals itself generated in another batch up to floating-point summation order.
    /// </summary>
    public int SamplesPerForward { get; init; }

    /// <summary>Clips in the batch.</summary>
    public int Count => PromptEmbeddings is CaptionEmbeddings e ? (int)e.Count : Prompts.Count;

    /// <summary>The seed of clip <paramref name="index"/>.</summary>
    public long SeedFor(int index) => Seeds.Count == 1 ? Seeds[0] + index : Seeds[index];
}
