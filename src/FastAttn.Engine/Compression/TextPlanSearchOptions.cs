namespace FastAttn.Engine.Compression;

/// <summary>Plan-search settings of a text-conditioned model: calibration captions on a latent of any aspect ratio.</summary>
public record TextPlanSearchOptions : PlanSearchOptions
{
    /// <summary>
    /// The calibration captions; null uses the shipped set (<see cref="CalibrationCaptions.Default"/> for images,
    /// <see cref="CalibrationCaptions.Video"/> for video), all of it unless <see cref="CalibrationCaptionCount"/> takes fewer.
    /// </summary>
    public IReadOnlyList<string>? CalibrationPrompts { get; init; }

    /// <summary>
    /// How many of the calibration captions to use (the first ones); null uses them all. PixArt's
    /// <see cref="PixArtPlanSearch.OptionsFor"/> sets 6 unless told (<see cref="CalibrationCaptions.PaperImageCount"/>).
    /// </summary>
    public int? CalibrationCaptionCount { get; init; }

    /// <summary>The negative prompt of the calibration generations ("" as PixArt's default).</summary>
    public string CalibrationNegativePrompt { get; init; } = "";

    /// <summary>Latent height; null = the model's trained size.</summary>
    public int? LatentHeight { get; init; }

    /// <summary>Latent width; null = <see cref="LatentHeight"/>.</summary>
    public int? LatentWidth { get; init; }
}
