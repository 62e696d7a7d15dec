namespace FastAttn.Server.Endpoints;

/// <summary>
/// The body of <c>POST /v1/images/generations</c>: OpenAI's fields (snake_case on the wire) and FastAttn's extras
/// (<see cref="Seed"/>, <see cref="NegativePrompt"/>, <see cref="Steps"/>, <see cref="Preset"/>, <see cref="GuidanceScale"/>).
/// </summary>
public sealed record ImageGenerationRequest
{
    /// <summary>What to draw (required).</summary>
    public string? Prompt { get; init; }

    /// <summary>The model: a FastAttn model's name, or OpenAI's <c>dall-e-2</c>, <c>dall-e-3</c>, <c>gpt-image-1</c> (the default model).</summary>
    public string? Model { get; init; }

    /// <summary>Images to generate (default 1).</summary>
    public int? N { get; init; }

    /// <summary><c>WIDTHxHEIGHT</c> or <c>auto</c> (default: the model's size).</summary>
    public string? Size { get; init; }

    /// <summary><c>b64_json</c> (default) or <c>url</c>.</summary>
    public string? ResponseFormat { get; init; }

    /// <summary>OpenAI's quality, mapped to a preset (docs/http-api.md): standard, hd, low, medium, high, auto.</summary>
    public string? Quality { get; init; }

    /// <summary>OpenAI's style (accepted, ignored).</summary>
    public string? Style { get; init; }

    /// <summary>OpenAI's end-user id (accepted, logged at Debug).</summary>
    public string? User { get; init; }

    /// <summary>FastAttn: seed of the first image.</summary>
    public long? Seed { get; init; }

    /// <summary>FastAttn: what the image should not show (text-to-image models).</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>FastAttn: denoising steps.</summary>
    public int? Steps { get; init; }

    /// <summary>FastAttn: preset raw or D1..D6; wins over <see cref="Quality"/>.</summary>
    public string? Preset { get; init; }

    /// <summary>FastAttn: classifier-free guidance scale.</summary>
    public double? GuidanceScale { get; init; }
}
