using FastAttn.Plugin.Hosting;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Services;
using Microsoft.SemanticKernel.TextToImage;

namespace FastAttn.Plugin.SemanticKernel;

/// <summary>
/// Semantic Kernel's <see cref="ITextToImageService"/> over the FastAttn engine. Each result is PNG bytes that also carry
/// the saved file's URI (so SK's <c>GenerateImageAsync(description, width, height)</c> works). Settings come from
/// <see cref="PromptExecutionSettings.ModelId"/> (the model) and its <c>ExtensionData</c>: <c>width</c>, <c>height</c>,
/// <c>negative_prompt</c> (text-to-image models),
/// <c>preset</c> (raw, D1..D6), <c>threshold</c>, <c>seed</c>, <c>steps</c>, <c>guidance</c>, <c>count</c>.
/// </summary>
public sealed class FastAttnTextToImageService : ITextToImageService
{
    private readonly IFastAttnEngine _engine;
    private readonly string? _model;
    private readonly Dictionary<string, object?> _attributes;

    /// <summary>Creates the service for <paramref name="model"/> (null: the engine's default model).</summary>
    public FastAttnTextToImageService(IFastAttnEngine engine, string? model = null)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _model = model;
        _attributes = new() { [AIServiceExtensions.ModelIdKey] = model ?? engine.DefaultModel };
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> Attributes => _attributes;

    /// <inheritdoc />
    public async Task<IReadOnlyList<ImageContent>> GetImageContentsAsync(TextContent input, PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var data = executionSettings?.ExtensionData;
        var request = new FastAttnImageRequest
        {
            Prompt = input.Text ?? "",
            Model = executionSettings?.ModelId ?? _model,
            Width = RequestSettings.Value<int, object>(data, "width"),
            Height = RequestSettings.Value<int, object>(data, "height"),
            NegativePrompt = RequestSettings.String(data, "negative_prompt") ?? RequestSettings.String(data, "negativePrompt"),
            Preset = RequestSettings.String(data, "preset") ?? RequestSettings.String(data, "quality"),
            Threshold = RequestSettings.Value<double, object>(data, "threshold"),
            Seed = RequestSettings.Value<long, object>(data, "seed"),
            Steps = RequestSettings.Value<int, object>(data, "steps"),
            GuidanceScale = RequestSettings.Value<double, object>(data, "guidance") ?? RequestSettings.Value<double, object>(data, "guidance_scale"),
            Count = RequestSettings.Value<int, object>(data, "count") ?? 1,
        };
        var result = await _engine.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
        return result.Images.Select(image => new ImageContent(image.Png, "image/png")
        {
            Uri = image.Uri,
            ModelId = result.Model,
            Metadata = new Dictionary<string, object?>
            {
                ["path"] = image.Path,
                ["seed"] = image.Seed,
                ["subject"] = image.Subject,
                ["classId"] = image.ClassId,
                ["preset"] = result.Preset,
                ["compressed"] = result.Compressed,
                ["attentionFlopsFraction"] = result.AttentionFlopsFraction,
                ["resized"] = result.Resized,
                ["elapsedSeconds"] = result.Elapsed.TotalSeconds,
                ["notes"] = result.Notes,
            },
        }).ToArray();
    }
}
