using FastAttn.Plugin.Hosting;
using Microsoft.Extensions.AI;

namespace FastAttn.Plugin.ExtensionsAI;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IImageGenerator"/> over the FastAttn engine: PNG <see cref="DataContent"/> (or
/// <see cref="UriContent"/> file URIs with <see cref="ImageGenerationResponseFormat.Uri"/>), honouring <c>Count</c>,
/// <c>ImageSize</c>, <c>MediaType</c> (image/png) and <c>ModelId</c>; <c>AdditionalProperties</c> may carry
/// <c>negative_prompt</c> (text-to-image models), <c>preset</c>, <c>threshold</c>, <c>seed</c>, <c>steps</c> and <c>guidance</c>.
/// </summary>
public sealed class FastAttnImageGenerator : IImageGenerator
{
    private readonly IFastAttnEngine _engine;
    private readonly string? _model;
    private readonly ImageGeneratorMetadata _metadata;

    /// <summary>Creates the generator for <paramref name="model"/> (null: the engine's default model).</summary>
    public FastAttnImageGenerator(IFastAttnEngine engine, string? model = null)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _model = model;
        _metadata = new ImageGeneratorMetadata("fastattn", null, model ?? engine.DefaultModel);
    }

    /// <inheritdoc />
    public async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.OriginalImages?.Any() == true) throw new NotSupportedException("FastAttn generates images from text; image editing " +
            "(OriginalImages) is not supported.");
        if (options?.MediaType is string media && !media.Equals("image/png", StringComparison.OrdinalIgnoreCase))
            throw new FastAttnRequestException($"FastAttn produces image/png; '{media}' is not supported.", "mediaType");
        var extra = options?.AdditionalProperties;
        var result = await _engine.GenerateAsync(new FastAttnImageRequest
        {
            Prompt = request.Prompt ?? "",
            Model = options?.ModelId ?? _model,
            Count = options?.Count ?? 1,
            Width = options?.ImageSize?.Width,
            Height = options?.ImageSize?.Height,
            NegativePrompt = RequestSettings.String(extra, "negative_prompt") ?? RequestSettings.String(extra, "negativePrompt"),
            Preset = RequestSettings.String(extra, "preset"),
            Threshold = RequestSettings.Value<double, object?>(extra, "threshold"),
            Seed = RequestSettings.Value<long, object?>(extra, "seed"),
            Steps = RequestSettings.Value<int, object?>(extra, "steps"),
            GuidanceScale = RequestSettings.Value<double, object?>(extra, "guidance"),
        }, cancellationToken).ConfigureAwait(false);
        bool uris = options?.ResponseFormat == ImageGenerationResponseFormat.Uri;
        var contents = result.Images.Select(image => uris
            ? (AIContent)new UriContent(image.Uri, "image/png") { AdditionalProperties = Facts(result, image) }
            : new DataContent(image.Png, "image/png") { Name = Path.GetFileName(image.Path), AdditionalProperties = Facts(result, image) }).ToList();
        return new ImageGenerationResponse(contents) { RawRepresentation = result };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ImageGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(IFastAttnEngine)) return _engine;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose() { }

    private static AdditionalPropertiesDictionary Facts(FastAttnImageResult result, FastAttnImage image) => new()
    {
        ["path"] = image.Path,
        ["seed"] = image.Seed,
        ["subject"] = image.Subject,
        ["classId"] = image.ClassId,
        ["model"] = result.Model,
        ["preset"] = result.Preset,
        ["compressed"] = result.Compressed,
        ["attentionFlopsFraction"] = result.AttentionFlopsFraction,
        ["resized"] = result.Resized,
    };
}
