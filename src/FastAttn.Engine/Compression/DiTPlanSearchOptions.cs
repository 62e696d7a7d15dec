using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Compression;

/// <summary>Plan-search settings of a class-conditional DiT: calibration class labels on a square latent.</summary>
public sealed record DiTPlanSearchOptions : PlanSearchOptions
{
    /// <summary>Guided channels convention.</summary>
    public GuidedChannels GuidedChannels { get; init; } = GuidedChannels.ReferenceFirstThree;

    /// <summary>Calibration class labels; null draws <see cref="CalibrationCount"/> at random with the calibration seed.</summary>
    public IReadOnlyList<int>? CalibrationLabels { get; init; }

    /// <summary>Number of random calibration labels (8 in the paper for DiT).</summary>
    public int CalibrationCount { get; init; } = 8;

    /// <summary>Latent side; null = the model's trained size.</summary>
    public int? LatentSize { get; init; }
}
