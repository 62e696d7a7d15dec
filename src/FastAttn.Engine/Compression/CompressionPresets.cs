namespace FastAttn.Engine.Compression;

/// <summary>The paper's quality presets: D1..D6 are greedy-search thresholds δ = 0.025·k.</summary>
public static class CompressionPresets
{
    /// <summary>The preset names, D1 to D6.</summary>
    public static IReadOnlyList<string> Names { get; } = ["D1", "D2", "D3", "D4", "D5", "D6"];

    /// <summary>δ of a preset ("D3" → 0.075), case-insensitive; "raw" is δ = 0. Unknown names throw <see cref="NotSupportedException"/>.</summary>
    public static double Threshold(string preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var p = preset.Trim().ToUpperInvariant();
        if (p == "RAW") return 0;
        if (p.Length == 2 && p[0] == 'D' && p[1] is >= '1' and <= '6') return 0.025 * (p[1] - '0');
        throw new NotSupportedException($"Unknown preset '{preset}'. Allowed: raw, {string.Join(", ", Names)} (or give a threshold δ).");
    }

    /// <summary>The preset name of a threshold, if it is one (0.05 → "D2").</summary>
    public static string? NameOf(double threshold)
    {
        for (int k = 1; k <= 6; k++) if (Math.Abs(threshold - 0.025 * k) < 1e-9) return $"D{k}";
        return threshold == 0 ? "raw" : null;
    }
}
