using FastAttn.Server.Errors;

namespace FastAttn.Server.Endpoints;

/// <summary>
/// OpenAI's <c>quality</c> as FastAttn presets (docs/http-api.md): <c>hd</c> and <c>high</c> run uncompressed
/// (<c>raw</c>), <c>medium</c> is <c>D2</c>, <c>low</c> is <c>D4</c>; <c>standard</c>, <c>auto</c> and none take the
/// server's configured preset (<c>FastAttn:Preset</c>, D2 by default). An explicit <c>preset</c> wins.
/// </summary>
public static class QualityPresets
{
    /// <summary>The qualities and their presets (null: the configured preset).</summary>
    public static IReadOnlyDictionary<string, string?> Map { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
    {
        ["standard"] = null,
        ["auto"] = null,
        ["hd"] = "raw",
        ["high"] = "raw",
        ["medium"] = "D2",
        ["low"] = "D4",
    };

    /// <summary>The preset for <paramref name="preset"/> (wins) or <paramref name="quality"/>; null: the configured one.</summary>
    public static string? Resolve(string? preset, string? quality)
    {
        if (!string.IsNullOrWhiteSpace(preset)) return preset.Trim();
        if (string.IsNullOrWhiteSpace(quality)) return null;
        return Map.TryGetValue(quality.Trim(), out var mapped) ? mapped
            : throw ApiException.BadRequest($"Unknown quality '{quality}'; use one of {string.Join(", ", Map.Keys)} (or a preset).", "quality");
    }
}
