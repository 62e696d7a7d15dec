using System.Text.Json.Serialization;

namespace FastAttn.Plugin.Hosting;

/// <summary>One text-to-video request to the engine service (text-to-video models). Unset values take the model's defaults.</summary>
public sealed record FastAttnVideoRequest
{
    /// <summary>What the clip shows.</summary>
    public required string Prompt { get; init; }

    /// <summary>The model's name (default: the options' <see cref="Options.FastAttnOptions.DefaultVideoModel"/>).</summary>
    public string? Model { get; init; }

    /// <summary>Frames (default: the model's).</summary>
    public int? Frames { get; init; }

    /// <summary>Pixel width (default: the model's native width).</summary>
    public int? Width { get; init; }

    /// <summary>Pixel height (default: the model's native height).</summary>
    public int? Height { get; init; }

    /// <summary>Playback frames per second of the GIF (default: the model's).</summary>
    public double? Fps { get; init; }

    /// <summary>Quality preset raw, V1..V5 (video) or D1..D6 (default: the options').</summary>
    public string? Preset { get; init; }

    /// <summary>Custom threshold δ instead of a preset.</summary>
    public double? Threshold { get; init; }

    /// <summary>Seed (default: drawn at random, and reported).</summary>
    public long? Seed { get; init; }

    /// <summary>Denoising steps (default: the model's).</summary>
    public int? Steps { get; init; }

    /// <summary>Guidance scale (default: the model's).</summary>
    public double? GuidanceScale { get; init; }

    /// <summary>Receives each denoising step as it ends (as <see cref="FastAttnImageRequest.Progress"/>).</summary>
    [JsonIgnore]
    public IProgress<FastAttnProgress>? Progress { get; init; }
}
