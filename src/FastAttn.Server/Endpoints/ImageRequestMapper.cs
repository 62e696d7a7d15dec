using System.Globalization;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Options;
using FastAttn.Server.Errors;
using FastAttn.Server.Hosting;
using Microsoft.Extensions.Options;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// Checks an <see cref="ImageGenerationRequest"/> and turns it into the engine's <see cref="FastAttnImageRequest"/>: the
/// model (<see cref="ModelCatalog"/>), the preset (<see cref="QualityPresets"/>), the size (one the model makes, unless
/// resizing is on), and the answer's format.
/// </summary>
public sealed class ImageRequestMapper(ModelCatalog models, IFastAttnEngine engine, IOptions<FastAttnServerOptions> server,
    IOptions<FastAttnOptions> engineOptions)
{
    /// <summary>The engine request for <paramref name="body"/>; throws the 4xx for a bad one.</summary>
    public async Task<MappedImageRequest> MapAsync(ImageGenerationRequest? body, CancellationToken cancellationToken)
    {
        if (body is null) throw ApiException.BadRequest("The body must be a JSON object with at least a 'prompt'.", null, "invalid_json");
        if (string.IsNullOrWhiteSpace(body.Prompt)) throw ApiException.BadRequest("The prompt is missing.", "prompt", "missing_required_parameter");
        CheckPromptLength(body.Prompt, "prompt");
        if (body.NegativePrompt is not null) CheckPromptLength(body.NegativePrompt, "negative_prompt");
        var model = models.Resolve(body.Model);
        bool url = ResponseFormat(body.ResponseFormat, body.Model);
        if (body.N is int n && n < 1) throw ApiException.BadRequest($"n must be at least 1 (got {n}).", "n");
        var (width, height) = await SizeAsync(body.Size, model, cancellationToken).ConfigureAwait(false);
        var preset = QualityPresets.Resolve(body.Preset, body.Quality);
        var request = new FastAttnImageRequest
        {
            Prompt = body.Prompt,
            NegativePrompt = body.NegativePrompt,
            Model = model,
            Count = body.N ?? 1,
            Width = width,
            Height = height,
            Preset = preset,
            Seed = body.Seed,
            Steps = body.Steps,
            GuidanceScale = body.GuidanceScale,
        };
        return new MappedImageRequest(request, url, preset ?? engineOptions.Value.Preset);
    }

    /// <summary>413 for a prompt over <see cref="FastAttnServerOptions.MaxPromptChars"/>.</summary>
    public void CheckPromptLength(string prompt, string param)
    {
        int max = server.Value.MaxPromptChars;
        if (prompt.Length > max) throw ApiException.TooLarge($"The {param} has {prompt.Length} characters; the limit is {max}.", param);
    }

    /// <summary>Whether the answer carries links; none asked: OpenAI's default (links for dall-e-2 and dall-e-3, else base64).</summary>
    private static bool ResponseFormat(string? format, string? model) => format?.Trim().ToLowerInvariant() switch
    {
        null or "" => model?.Trim().ToLowerInvariant() is "dall-e-2" or "dall-e-3",
        "b64_json" => false,
        "url" => true,
        _ => throw ApiException.BadRequest($"Unknown response_format '{format}'; use b64_json or url.", "response_format"),
    };

    private async Task<(int? Width, int? Height)> SizeAsync(string? size, string model, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(size) || size.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return (null, null);
        var parts = size.Trim().Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || w < 1 || h < 1)
            throw ApiException.BadRequest($"The size '{size}' is not WIDTHxHEIGHT (e.g. 32x32) or auto.", "size");
        if (server.Value.Resize || engineOptions.Value.AllowResize) return (w, h);
        var sizes = await engine.GetSupportedSizesAsync(model, cancellationToken).ConfigureAwait(false);
        if (sizes.Any(s => s.Width == w && s.Height == h)) return (w, h);
        var allowed = string.Join(", ", sizes.Select(s => $"{s.Width}x{s.Height}"));
        throw new ApiException(StatusCodes.Status400BadRequest,
            $"The model '{model}' cannot make {w}x{h}; sizes: {allowed} (or auto). A server with FastAttn:Server:Resize=true resizes.",
            ErrorTypes.InvalidRequest, "size", "unsupported_size");
    }
}

/// <summary>A checked request: the engine's request, whether the answer carries links, and the preset it runs at.</summary>
/// <param name="Request">The engine's request.</param>
/// <param name="Url">Whether the answer carries links (response_format url) instead of base64.</param>
/// <param name="Preset">The preset the run uses (for progress events).</param>
public sealed record MappedImageRequest(FastAttnImageRequest Request, bool Url, string Preset);
