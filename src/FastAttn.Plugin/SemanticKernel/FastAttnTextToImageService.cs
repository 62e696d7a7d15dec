using System.Globalization;
using System.Text.Json;
using FastAttn.Plugin.Hosting;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Services;
using Microsoft.SemanticKernel.TextToImage;

namespace FastAttn.Plugin.SemanticKernel;

/// <summary>
/// Semantic Kernel's <see cref="ITextToImageService"/> over the FastAttn engine. Each result is PNG bytes that also carry
/// the saved file's URI (so SK's <c>GenerateImageAsync(description, width, height)</c> works). Settings come from
/// <see cref="PromptExecutionSettings.ModelId"/> (the model) and its <c>ExtensionData</c>: <c>width</c>, <c>height</c>,
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
            Width = Read<int>(data, "width"),
            Height = Read<int>(data, "height"),
            Preset = ReadString(data, "preset") ?? ReadString(data, "quality"),
            Threshold = Read<double>(data, "threshold"),
            Seed = Read<long>(data, "seed"),
            Steps = Read<int>(data, "steps"),
            GuidanceScale = Read<double>(data, "guidance") ?? Read<double>(data, "guidance_scale"),
            Count = Read<int>(data, "count") ?? 1,
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
                ["class"] = image.ClassName,
                ["preset"] = result.Preset,
                ["compressed"] = result.Compressed,
                ["attentionFlopsFraction"] = result.AttentionFlopsFraction,
                ["resized"] = result.Resized,
                ["elapsedSeconds"] = result.Elapsed.TotalSeconds,
                ["notes"] = result.Notes,
            },
        }).ToArray();
    }

    private static string? ReadString(IDictionary<string, object>? data, string key) =>
        data is not null && data.TryGetValue(key, out var v) && v is not null ? v is JsonElement e ? e.ToString() : Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    private static T? Read<T>(IDictionary<string, object>? data, string key) where T : struct, IParsable<T>
    {
        var text = ReadString(data, key);
        if (text is null) return null;
        return T.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value
            : throw new FastAttnRequestException($"The execution setting '{key}' must be a {typeof(T).Name} (got '{text}').", key);
    }
}
