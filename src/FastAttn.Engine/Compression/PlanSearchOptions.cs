using FastAttn.Engine.Attention;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Compression;

/// <summary>Settings of a greedy plan search (paper Alg. 1 as the reference implements it).</summary>
public sealed record PlanSearchOptions
{
    /// <summary>The threshold δ (a preset's, or any value ≥ 0).</summary>
    public required double Threshold { get; init; }

    /// <summary>Denoising steps of the plan.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The sampler of the plan.</summary>
    public required IDiffusionSchedulerFactory Scheduler { get; init; }

    /// <summary>Guidance scale; without guidance (≤ 1) the ASC candidates do not apply.</summary>
    public double GuidanceScale { get; init; } = 4.0;

    /// <summary>Guided channels convention.</summary>
    public GuidedChannels GuidedChannels { get; init; } = GuidedChannels.ReferenceFirstThree;

    /// <summary>Calibration class labels; null draws <see cref="CalibrationCount"/> at random with <see cref="CalibrationSeed"/>.</summary>
    public IReadOnlyList<int>? CalibrationLabels { get; init; }

    /// <summary>Number of random calibration labels (8 in the paper for DiT).</summary>
    public int CalibrationCount { get; init; } = 8;

    /// <summary>
    /// Text-to-image models: the calibration captions; null uses the shipped <see cref="CalibrationCaptions.Default"/>
    /// (all 40 unless <see cref="CalibrationCaptionCount"/> takes fewer).
    /// </summary>
    public IReadOnlyList<string>? CalibrationPrompts { get; init; }

    /// <summary>Text-to-image models: how many of the calibration captions to use (the first ones); null uses them all.</summary>
    public int? CalibrationCaptionCount { get; init; }

    /// <summary>Text-to-image models: the negative prompt of the calibration generations ("" as PixArt's default).</summary>
    public string CalibrationNegativePrompt { get; init; } = "";

    /// <summary>Seed of the calibration labels and noise (3, as the reference).</summary>
    public long CalibrationSeed { get; init; } = 3;

    /// <summary>Latent side (height when not square); null = the model's trained size.</summary>
    public int? LatentSize { get; init; }

    /// <summary>Latent width when not square (text-to-image aspect-ratio buckets); null = <see cref="LatentSize"/>.</summary>
    public int? LatentWidth { get; init; }

    /// <summary>Video models: latent frames (the clip's frames).</summary>
    public int? LatentFrames { get; init; }

    /// <summary>Video models: which self-attention the plan compresses (spatial, the reference's, by default).</summary>
    public Models.OpenSora.VideoAttention VideoAttention { get; init; } = Models.OpenSora.VideoAttention.Spatial;

    /// <summary>The window; null = block band with w = N/8.</summary>
    public WindowSpec? Window { get; init; }

    /// <summary>Candidates in trial order (the reference's: AST, WA-RS+ASC, WA-RS, ASC).</summary>
    public IReadOnlyList<AttentionMethod> Candidates { get; init; } = AttentionMethods.SearchOrder;

    /// <summary>What candidate outputs are compared on (the reference's raw CFG-batch output by default).</summary>
    public SearchMetric Metric { get; init; } = SearchMetric.RawOutput;

    /// <summary>Reuse layer i's input across its candidates, so a candidate costs (L−i)/L of a forward (same plan as without).</summary>
    public bool PrefixReuse { get; init; } = true;
}
