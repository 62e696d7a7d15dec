using System.Text.Json.Serialization;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// The answer of <c>POST /v1/images/generations</c>: OpenAI's (<see cref="Created"/>, <see cref="Data"/>) plus
/// <see cref="FastAttn"/>.
/// </summary>
/// <param name="Created">Unix seconds.</param>
/// <param name="Data">One entry per image.</param>
/// <param name="FastAttn">What FastAttn really did (clients that don't know it ignore it).</param>
public sealed record ImageGenerationResponse(long Created, IReadOnlyList<ImageData> Data,
    [property: JsonPropertyName("fastattn")] FastAttnInfo FastAttn);

/// <summary>One image: <paramref name="B64Json"/> (a base64 PNG) or <paramref name="Url"/>.</summary>
/// <param name="B64Json">The PNG, base64 (response_format b64_json).</param>
/// <param name="Url">Where to download the PNG (response_format url), until it expires.</param>
/// <param name="RevisedPrompt">What the image shows (the class a class-conditional model drew, or the prompt).</param>
/// <param name="Seed">FastAttn: its seed.</param>
public sealed record ImageData([property: JsonPropertyName("b64_json")] string? B64Json, string? Url, string? RevisedPrompt, long Seed);

/// <summary>FastAttn's account of a generation.</summary>
/// <param name="Model">The model that ran.</param>
/// <param name="Preset">The preset (raw, D1..D6, or δ=…).</param>
/// <param name="Compressed">Whether a DiTFastAttn plan was applied.</param>
/// <param name="AttentionFlopsFraction">Attention FLOPs as a fraction of full attention (1: uncompressed).</param>
/// <param name="Seconds">Time generating.</param>
/// <param name="QueueSeconds">Time waiting in the queue.</param>
/// <param name="Steps">Denoising steps.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Resized">Whether the images were resized from the model's size.</param>
/// <param name="Notes">Things the caller should know.</param>
public sealed record FastAttnInfo(string Model, string Preset, bool Compressed, double AttentionFlopsFraction, double Seconds,
    double QueueSeconds, int Steps, int Width, int Height, bool Resized, IReadOnlyList<string> Notes);
