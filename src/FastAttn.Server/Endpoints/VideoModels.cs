using System.Text.Json;

namespace FastAttn.Server.Endpoints;

/// <summary>The body of <c>POST /v1/videos</c>: OpenAI's fields (prompt, model, size, seconds) and FastAttn's extras.</summary>
public sealed record VideoGenerationRequest
{
    /// <summary>What the clip shows (required).</summary>
    public string? Prompt { get; init; }

    /// <summary>A text-to-video model's name, or OpenAI's <c>sora-2</c>/<c>sora-2-pro</c> (the default video model).</summary>
    public string? Model { get; init; }

    /// <summary><c>WIDTHxHEIGHT</c> (default: the model's).</summary>
    public string? Size { get; init; }

    /// <summary>OpenAI's clip length (accepted and ignored: use <see cref="Frames"/>).</summary>
    public JsonElement? Seconds { get; init; }

    /// <summary>FastAttn: frames.</summary>
    public int? Frames { get; init; }

    /// <summary>FastAttn: playback frames per second of the GIF.</summary>
    public double? Fps { get; init; }

    /// <summary>FastAttn: seed.</summary>
    public long? Seed { get; init; }

    /// <summary>FastAttn: denoising steps.</summary>
    public int? Steps { get; init; }

    /// <summary>FastAttn: preset raw, V1..V5 or D1..D6.</summary>
    public string? Preset { get; init; }

    /// <summary>FastAttn: guidance scale.</summary>
    public double? GuidanceScale { get; init; }
}

/// <summary>A finished clip: where to get the GIF, and what FastAttn did.</summary>
/// <param name="ContentUrl">The GIF (<c>GET /v1/videos/{id}/content</c>).</param>
/// <param name="Model">The model.</param>
/// <param name="Preset">The preset.</param>
/// <param name="Compressed">Whether a DiTFastAttn plan was applied.</param>
/// <param name="AttentionFlopsFraction">Spatial-attention FLOPs as a fraction of full attention.</param>
/// <param name="Seconds">Time generating.</param>
/// <param name="Frames">Frames.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
/// <param name="Fps">Playback fps.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Notes">Things the caller should know.</param>
public sealed record VideoResult(string ContentUrl, string Model, string Preset, bool Compressed, double AttentionFlopsFraction, double Seconds,
    int Frames, int Width, int Height, double Fps, long Seed, IReadOnlyList<string> Notes);
