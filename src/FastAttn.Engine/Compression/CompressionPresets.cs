using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The quality presets: D1..D6 are the paper's greedy-search thresholds δ = 0.025·k (images); V1..V5 the smaller ones it
/// used for video, δ = 0.01·k; B1..B6 the block scope (<see cref="SearchScope.Block"/>: block reuse and forecast and
/// feed-forward sharing beside the attention methods) searched on SSIM at δ = 0.0025·k (<see cref="BlockStep"/>).
/// </summary>
public static class CompressionPresets
{
    /// <summary>The image preset names, D1 to D6.</summary>
    public static IReadOnlyList<string> Names { get; } = ["D1", "D2", "D3", "D4", "D5", "D6"];

    /// <summary>The video preset names, V1 to V5 (δ 0.01 … 0.05).</summary>
    public static IReadOnlyList<string> VideoNames { get; } = ["V1", "V2", "V3", "V4", "V5"];

    /// <summary>The block-scope preset names, B1 to B6 (the δ of D1 to D6).</summary>
    public static IReadOnlyList<string> BlockNames { get; } = ["B1", "B2", "B3", "B4", "B5", "B6"];

    /// <summary>Whether <paramref name="preset"/> is raw or a preset name (any case, surrounding spaces ignored).</summary>
    public static bool IsPreset(string? preset) => preset?.Trim().ToUpperInvariant() is string p
        && (p == "RAW" || Names.Contains(p) || VideoNames.Contains(p) || BlockNames.Contains(p));

    /// <summary>
    /// The search scope a preset means: <see cref="SearchScope.Block"/> for B1..B6, <see cref="SearchScope.Attention"/> for
    /// D1..D6 and V1..V5; null for raw, null and anything that is not a preset name (a custom δ keeps the settings' scope).
    /// </summary>
    public static SearchScope? ScopeOf(string? preset) => preset?.Trim().ToUpperInvariant() is string p && IsPreset(p) && p != "RAW"
        ? (BlockNames.Contains(p) ? SearchScope.Block : SearchScope.Attention)
        : null;

    /// <summary>
    /// The δ step of the block-scope presets: B-k searches at δ = 0.0025·k on 1 − SSIM of each step's decoded x̂₀ estimate
    /// (<see cref="SearchMetric.Ssim"/>) — D-k's δ over ten, the scale the paper's appendix A.7 suggests for SSIM.
    /// </summary>
    public const double BlockStep = 0.0025;

    /// <summary>
    /// The search metric a preset fixes: <see cref="SearchMetric.Ssim"/> for B1..B6 (a skipped block's error at an early step
    /// shows in the image it leads to, not in the noise prediction); null for the others (the settings' or model's metric).
    /// </summary>
    public static SearchMetric? MetricOf(string? preset) => ScopeOf(preset) == SearchScope.Block ? SearchMetric.Ssim : null;

    /// <summary>
    /// δ of a preset ("D3" → 0.075, "B3" → 0.0075), case-insensitive; "raw" is δ = 0. Unknown names throw <see cref="NotSupportedException"/>.
    /// </summary>
    public static double Threshold(string preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var p = preset.Trim().ToUpperInvariant();
        if (p == "RAW") return 0;
        if (p.Length == 2 && p[0] == 'D' && p[1] is >= '1' and <= '6') return 0.025 * (p[1] - '0');
        if (p.Length == 2 && p[0] == 'B' && p[1] is >= '1' and <= '6') return BlockStep * (p[1] - '0');
        if (p.Length == 2 && p[0] == 'V' && p[1] is >= '1' and <= '5') return 0.01 * (p[1] - '0');
        throw new NotSupportedException(
            $"Unknown preset '{preset}'. Allowed: raw, {string.Join(", ", Names)}, block scope {string.Join(", ", BlockNames)}, " +
            $"video {string.Join(", ", VideoNames)} (or give a threshold δ).");
    }

    /// <summary>
    /// The preset name of a threshold for a model of kind <paramref name="output"/>, if it is one of that kind's presets:
    /// images D1..D6 (0.05 → "D2"), video V1..V5 (0.05 → "V5"); δ = 0 is "raw".
    /// </summary>
    public static string? NameOf(double threshold, OutputKind output)
    {
        if (threshold == 0) return "raw";
        return output == OutputKind.Video ? Match(threshold, 0.01, VideoNames) : Match(threshold, 0.025, Names);
    }

    /// <summary>
    /// The preset name of a threshold for a model of kind <paramref name="output"/> searched in <paramref name="scope"/> on
    /// <paramref name="metric"/>: the block scope's images B1..B6 on SSIM (0.005 → "B2"), none for another block-scope metric;
    /// otherwise as <see cref="NameOf(double, OutputKind)"/>.
    /// </summary>
    public static string? NameOf(double threshold, OutputKind output, SearchScope scope, SearchMetric metric = SearchMetric.Ssim) =>
        scope == SearchScope.Block && output != OutputKind.Video && threshold != 0
            ? (metric == SearchMetric.Ssim ? Match(threshold, BlockStep, BlockNames) : null)
            : NameOf(threshold, output);

    /// <summary>The preset name of a threshold, image presets first (0.05 → "D2", even for a video plan).</summary>
    [Obsolete("Use NameOf(threshold, OutputKind): 0.05 is D2 for images and V5 for video")]
    public static string? NameOf(double threshold) => LegacyNameOf(threshold);

    /// <summary>The name every plan had before presets were kind-aware: an image preset's, else a video preset's.</summary>
    internal static string? LegacyNameOf(double threshold) => NameOf(threshold, OutputKind.Image) ?? NameOf(threshold, OutputKind.Video);

    private static string? Match(double threshold, double step, IReadOnlyList<string> names)
    {
        for (int k = 1; k <= names.Count; k++) if (Math.Abs(threshold - step * k) < 1e-9) return names[k - 1];
        return null;
    }
}
