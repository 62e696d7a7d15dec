namespace FastAttn.Engine.Models.DiT;

/// <summary>The named reference configurations (DiT-S/B/L/XL × patch 2/4/8), as in the reference <c>DiT_models</c>.</summary>
public static class DiTConfigs
{
    private static readonly Dictionary<string, (int Depth, int Hidden, int Heads)> Sizes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["S"] = (12, 384, 6),
        ["B"] = (12, 768, 12),
        ["L"] = (24, 1024, 16),
        ["XL"] = (28, 1152, 16),
    };

    /// <summary>All names, e.g. "DiT-XL/2".</summary>
    public static IReadOnlyList<string> Names { get; } =
        Sizes.Keys.SelectMany(s => new[] { 2, 4, 8 }.Select(p => $"DiT-{s}/{p}")).ToArray();

    /// <summary>
    /// Builds a named config ("DiT-XL/2", "XL/2", case-insensitive) for an image of <paramref name="imageSize"/> pixels
    /// with an 8× VAE (latent side = imageSize / 8), 1000 ImageNet classes and learned sigma.
    /// </summary>
    public static DiTConfig Get(string name, int imageSize = 256, int numClasses = 1000)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        if (trimmed.StartsWith("DiT-", StringComparison.OrdinalIgnoreCase)) trimmed = trimmed[4..];
        var parts = trimmed.Split('/');
        if (parts.Length != 2 || !Sizes.TryGetValue(parts[0], out var size) || !int.TryParse(parts[1], out int patch) || patch is not (2 or 4 or 8))
            throw new NotSupportedException($"Unknown DiT config '{name}'. Known: {string.Join(", ", Names)}.");
        if (imageSize % 8 != 0) throw new ArgumentException($"Image size {imageSize} must be a multiple of 8 (VAE factor).", nameof(imageSize));
        return new DiTConfig(imageSize / 8, patch, 4, size.Hidden, size.Depth, size.Heads, numClasses, LearnSigma: true);
    }

    /// <summary>The heads of the reference config with this width, if any (the width alone does not fix the heads).</summary>
    public static int? HeadsForHiddenSize(int hidden) =>
        Sizes.Values.Where(s => s.Hidden == hidden).Select(s => (int?)s.Heads).FirstOrDefault();
}
