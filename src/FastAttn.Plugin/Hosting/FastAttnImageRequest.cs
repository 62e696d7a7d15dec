using System.Text.Json.Serialization;

namespace FastAttn.Plugin.Hosting;

/// <summary>One image-generation request to the engine service. Unset values take the model's or the options' defaults.</summary>
public sealed record FastAttnImageRequest
{
    /// <summary>
    /// What to draw: a description (text-to-image models), a class name (ImageNet models) or a digit in any
    /// wording ("a handwritten seven").
    /// </summary>
    public required string Prompt { get; init; }

    /// <summary>Text-to-image models: what the image should not show (the negative prompt; default none).</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>The model's name (default: <see cref="Options.FastAttnOptions.DefaultModel"/>).</summary>
    public string? Model { get; init; }

    /// <summary>Images to generate (seeds <see cref="Seed"/>, <see cref="Seed"/>+1, …).</summary>
    public int Count { get; init; } = 1;

    /// <summary>Image width in pixels (default: the model's size).</summary>
    public int? Width { get; init; }

    /// <summary>Image height in pixels (default: the model's size).</summary>
    public int? Height { get; init; }

    /// <summary>Quality preset raw or D1..D6 (default: the options').</summary>
    public string? Preset { get; init; }

    /// <summary>Custom threshold δ instead of a preset.</summary>
    public double? Threshold { get; init; }

    /// <summary>Seed of the first image (default: drawn at random, and reported).</summary>
    public long? Seed { get; init; }

    /// <summary>Denoising steps.</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance scale.</summary>
    public double? GuidanceScale { get; init; }

    /// <summary>
    /// Receives each denoising step as it ends (local engines; not carried to a cluster). Called on the worker's thread:
    /// keep it short and never block.
    /// </summary>
    [JsonIgnore]
    public IProgress<FastAttnProgress>? Progress { get; init; }
}
