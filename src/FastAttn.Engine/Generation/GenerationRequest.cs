using FastAttn.Engine.Compression;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Generation;

/// <summary>
/// One generation for any model family, in user units: what to draw, how many, the size in pixels, the sampling settings
/// (unset: the model's defaults) and the compression (a plan, a preset or a threshold δ). Video requests extend it
/// (<see cref="VideoRequest"/>). A family refuses what its model cannot do with a <see cref="GenerationRequestException"/>.
/// </summary>
public record GenerationRequest
{
    /// <summary>
    /// What to draw: a description (text-conditioned models), or a class name in any wording ("a handwritten seven",
    /// "golden retriever", "207") for class-conditional models.
    /// </summary>
    public string Prompt { get; init; } = "";

    /// <summary>What the image should not show (text-conditioned models; class-conditional ones refuse it).</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>Images (or clips) to generate; item i uses seed <see cref="Seed"/> + i.</summary>
    public int Count { get; init; } = 1;

    /// <summary>Width in pixels; null = the model's native size (or the height, when only that is given).</summary>
    public int? Width { get; init; }

    /// <summary>Height in pixels; null = the model's native size (or the width, when only that is given).</summary>
    public int? Height { get; init; }

    /// <summary>Denoising steps; null = the model's default.</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance scale (1 = off); null = the model's default.</summary>
    public double? GuidanceScale { get; init; }

    /// <summary>Sampler name (<see cref="SchedulerRegistry.Names"/>); null = the model's default.</summary>
    public string? Sampler { get; init; }

    /// <summary>Seed of the first item.</summary>
    public long Seed { get; init; }

    /// <summary>A plan to run with (it must match the model and settings); wins over <see cref="Preset"/> and <see cref="Threshold"/>.</summary>
    public CompressionPlan? Plan { get; init; }

    /// <summary>Quality preset: raw, D1..D6 (images) or V1..V5 (video); resolved to a plan by a <see cref="PlanResolver"/>.</summary>
    public string? Preset { get; init; }

    /// <summary>A custom threshold δ instead of a preset.</summary>
    public double? Threshold { get; init; }

    /// <summary>
    /// A size the model does not generate natively is generated at the nearest native size and resized (class-conditional
    /// models: the trained size; text-to-image models: the nearest aspect-ratio bucket), instead of being refused.
    /// </summary>
    public bool AllowResize { get; init; }

    /// <summary>Text-conditioned models: clean prompts as the reference does (URLs, HTML, punctuation runs …); false only trims.</summary>
    public bool CleanCaption { get; init; } = true;

    /// <summary>Class-conditional latent models: which channels guidance extrapolates; null = the reference's first three.</summary>
    public GuidedChannels? GuidedChannels { get; init; }

    /// <summary>Optional cap on the plan's cache memory (bytes); steps whose cache would not fit fall back to full attention.</summary>
    public long? CacheCapBytes { get; init; }

    /// <summary>Time the self-attention modules (benchmarks; synchronises a GPU around every call).</summary>
    public bool TimeAttention { get; init; }

    /// <summary>The threshold δ this request asks for: <see cref="Threshold"/>, else its preset's, else 0 (raw).</summary>
    public double Delta => Threshold ?? (Preset is string p ? CompressionPresets.Threshold(p) : 0);
}
