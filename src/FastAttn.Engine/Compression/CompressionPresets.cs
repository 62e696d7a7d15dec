namespace FastAttn.Engine.Compression;

/// <summary>
/// The quality presets: D1..D6 are the paper's greedy-search thresholds δ = 0.025·k (images); V1..V5 the smaller ones it
/// used for video, δ = 0.01·k.
/// </summary>
public static class CompressionPresets
{
    /// <summary>The image preset names, D1 to D6.</summary>
    public static IReadOnlyList<string> Names { get; } = ["D1", "D2", "D3", "D4", "D5", "D6"];

    /// <summary>The video preset names, V1 to V5 (δ 0.01 … 0.05).</summary>
    public static IReadOnlyList<string> VideoNames { get; } = ["V1", "V2", "V3", "V4", "V5"];

    /// <summary>δ of a preset ("D3" → 0.075), case-insensitive; "raw" is δ = 0. Unknown names throw <see cref="NotSupportedException"/>.</summary>
    public static double Threshold(string preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var p = preset.Trim().ToUpperInvariant();
        if (p == "RAW") return 0;
        if (p.Length == 2 && p[0] == 'D' && p[1] is >= '1' and <= '6') return 0.025 * (p[1] - '0');
        if (p.Length == 2 && p[0] == 'V' && p[1] is >= '1' and <= '5') return 0.01 * (p[1] - '0');
        throw new NotSupportedException($"Unknown preset '{preset}'. Allowed: raw, {string.Join(", ", Names)}, video {string.Join(", ", VideoNames)} (or give a threshold δ).");
    }

    /// <summary>The preset name of a threshold, if it is one (0.05 → "D2").</summary>
    public static string? NameOf(double threshold)
    {
        for (int k = 1; k <= 6; k++) if (Math.Abs(threshold - 0.025 * k) < 1e-9) return $"D{k}";
        for (int k = 1; k <= 5; k++) if (Math.Abs(threshold - 0.01 * k) < 1e-9) return $"V{k}";
        return threshold == 0 ? "raw" : null;
    }
}
