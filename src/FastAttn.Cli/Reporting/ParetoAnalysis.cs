using FastAttn.Engine.Compression;

namespace FastAttn.Cli.Reporting;

/// <summary>One preset's quality, from a <c>fastattn eval</c> JSON row.</summary>
/// <param name="Preset">The preset name (raw, D1..D6, B1..B6, …).</param>
/// <param name="Accuracy">Classifier accuracy in [0, 1].</param>
/// <param name="Fid">FID against the held-out digits, if the file has it.</param>
/// <param name="TransformerFlopsFraction">The whole transformer's FLOPs over raw's, if the file has it.</param>
internal sealed record QualityRow(string Preset, double Accuracy, double? Fid, double? TransformerFlopsFraction);

/// <summary>One preset's measured latency, from a <c>fastattn bench e2e</c> JSON row.</summary>
/// <param name="Preset">The preset name.</param>
/// <param name="LatencyFraction">Median over rounds of the round's time over raw's in the same round.</param>
/// <param name="PredictedFraction">The cost model's predicted end-to-end fraction, if the file has it.</param>
/// <param name="MedianSeconds">The preset's median generation time, if the file has it.</param>
/// <param name="SpreadSeconds">Max − min of the preset's generation times over the rounds, if the file has it.</param>
/// <param name="TransformerFlopsFraction">The whole transformer's FLOPs over raw's, if the file has it.</param>
internal sealed record LatencyRow(string Preset, double LatencyFraction, double? PredictedFraction, double? MedianSeconds, double? SpreadSeconds,
    double? TransformerFlopsFraction);

/// <summary>Rows read from one input file, named by its path for errors and notes.</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Source">The file the rows came from.</param>
/// <param name="Rows">Its rows in file order.</param>
internal sealed record Sourced<T>(string Source, IReadOnlyList<T> Rows);

/// <summary>The quality and speed target: within <paramref name="AccuracyPoints"/> percentage points of raw's accuracy, FID at most
/// (1 + <paramref name="FidMargin"/>) × raw's, at a measured latency fraction ≤ <paramref name="LatencyFraction"/>.</summary>
/// <param name="AccuracyPoints">Accuracy loss allowed, in percentage points (1 = 0.01 of accuracy).</param>
/// <param name="FidMargin">FID increase allowed, relative to raw's (0.10 = 10% higher at most; lower is always fine).</param>
/// <param name="LatencyFraction">The measured latency fraction to reach.</param>
internal sealed record ParetoTarget(double AccuracyPoints = 1, double FidMargin = 0.10, double LatencyFraction = 0.6);

/// <summary>One preset's joined row: quality, predicted and measured latency, frontier and target.</summary>
internal sealed record ParetoRow(string Preset, string Scope, double Accuracy, double AccuracyDeltaPoints, double? Fid, double? FidRatio,
    double? TransformerFlopsFraction, double? PredictedFraction, double LatencyFraction, double? LatencySpread, bool OnFrontier,
    bool WithinQuality, bool MeetsTarget);

/// <summary>The joined table and what it says about the target.</summary>
/// <param name="Rows">Presets found in both the quality and the latency files, in the quality files' order.</param>
/// <param name="Target">The target evaluated.</param>
/// <param name="QualityOnly">Presets with quality but no latency row (not in <paramref name="Rows"/>).</param>
/// <param name="LatencyOnly">Presets with latency but no quality row (not in <paramref name="Rows"/>).</param>
/// <param name="FlopsMismatch">Presets whose transformer FLOPs fraction differs between the files (different plans?).</param>
internal sealed record ParetoResult(IReadOnlyList<ParetoRow> Rows, ParetoTarget Target, IReadOnlyList<string> QualityOnly,
    IReadOnlyList<string> LatencyOnly, IReadOnlyList<string> FlopsMismatch)
{
    /// <summary>raw's row (the reference; always present).</summary>
    public ParetoRow Raw => Rows.First(r => r.Preset == ParetoAnalysis.RawName);

    /// <summary>Presets meeting the whole target, fastest first.</summary>
    public IReadOnlyList<ParetoRow> MeetingTarget => [.. Rows.Where(r => r.MeetsTarget).OrderBy(r => r.LatencyFraction)];

    /// <summary>The most accurate preset at latency ≤ the target (the faster on a tie); null when none is that fast.</summary>
    public ParetoRow? BestAtTargetLatency => Rows.Where(r => r.LatencyFraction <= Target.LatencyFraction + 1e-9)
        .OrderByDescending(r => r.Accuracy).ThenBy(r => r.LatencyFraction).FirstOrDefault();

    /// <summary>The fastest preset within the target's accuracy and FID, whatever its latency (raw at worst).</summary>
    public ParetoRow? FastestWithinQuality => Rows.Where(r => r.WithinQuality).OrderBy(r => r.LatencyFraction).FirstOrDefault();
}

/// <summary>
/// Pure logic of <c>fastattn report pareto</c>: joins quality rows (later sources override earlier ones for the same preset)
/// with measured latency rows by preset, marks the Pareto frontier of accuracy (higher is better) against measured latency
/// fraction (lower is better), and evaluates the target. No files, no clock.
/// </summary>
internal static class ParetoAnalysis
{
    /// <summary>The reference preset's name.</summary>
    public const string RawName = "raw";

    private const double Epsilon = 1e-9;

    /// <summary>Joins, marks the frontier and evaluates <paramref name="target"/>.</summary>
    /// <exception cref="ParetoInputException">raw is missing from the quality files or from the latency file.</exception>
    public static ParetoResult Analyze(IReadOnlyList<Sourced<QualityRow>> quality, Sourced<LatencyRow> latency, ParetoTarget target)
    {
        if (quality.Count == 0) throw new ArgumentException("At least one quality (--eval) file is needed.");
        var merged = new Dictionary<string, QualityRow>();
        var order = new List<string>();
        foreach (var file in quality)
            foreach (var row in file.Rows)
            {
                var key = Key(row.Preset);
                if (!merged.ContainsKey(key)) order.Add(key);
                merged[key] = row;                                                             // a later file's row wins
            }
        var timed = new Dictionary<string, LatencyRow>();
        foreach (var row in latency.Rows) timed[Key(row.Preset)] = row;
        if (!merged.TryGetValue(RawName, out var rawQuality))
            throw new ParetoInputException(string.Join(", ", quality.Select(q => q.Source)), "a 'raw' row (the accuracy and FID reference)");
        if (!timed.TryGetValue(RawName, out var rawLatency))
            throw new ParetoInputException(latency.Source, "a 'raw' row (the latency reference)");

        var joined = order.Where(timed.ContainsKey).ToList();
        var points = joined.Select(k => (merged[k].Accuracy, timed[k].LatencyFraction)).ToList();
        var frontier = Frontier(points);
        var rows = joined.Select((k, i) => Row(k, merged[k], timed[k], rawQuality, rawLatency, frontier[i], target)).ToList();
        return new ParetoResult(rows, target,
            [.. order.Where(k => !timed.ContainsKey(k))],
            [.. latency.Rows.Select(r => Key(r.Preset)).Distinct().Where(k => !merged.ContainsKey(k))],
            [.. joined.Where(k => merged[k].TransformerFlopsFraction is double a && timed[k].TransformerFlopsFraction is double b
                && Math.Abs(a - b) > 1e-6)]);
    }

    /// <summary>
    /// Which of <paramref name="points"/> are Pareto-optimal: no other point has accuracy ≥ and latency ≤ with one of them
    /// strictly better. Equal points do not dominate each other (both stay on the frontier).
    /// </summary>
    public static bool[] Frontier(IReadOnlyList<(double Accuracy, double Latency)> points) =>
        [.. points.Select(p => !points.Any(q => q.Accuracy >= p.Accuracy && q.Latency <= p.Latency
            && (q.Accuracy > p.Accuracy || q.Latency < p.Latency)))];

    /// <summary>The search scope a preset name means: "block" for B1..B6, "attention" for raw, D1..D6 and V1..V5, else "unknown".</summary>
    public static string ScopeOf(string preset) => Key(preset) == RawName ? "attention" : CompressionPresets.ScopeOf(preset) switch
    {
        SearchScope.Block => "block",
        SearchScope.Attention => "attention",
        _ => "unknown",
    };

    /// <summary>The name presets are joined by: "raw" in lower case, the others upper case, spaces trimmed.</summary>
    public static string Key(string preset)
    {
        var p = preset.Trim();
        return p.Equals(RawName, StringComparison.OrdinalIgnoreCase) ? RawName : p.ToUpperInvariant();
    }

    private static ParetoRow Row(string key, QualityRow q, LatencyRow l, QualityRow rawQ, LatencyRow rawL, bool onFrontier, ParetoTarget target)
    {
        double delta = Math.Round((q.Accuracy - rawQ.Accuracy) * 100, 9);                     // 0.986 − 0.996 is −1, not −0.99…
        double? fidRatio = q.Fid is double f && rawQ.Fid is double rf && rf > 0 ? f / rf : null;
        double? spread = l.SpreadSeconds is double s && rawL.MedianSeconds is double m && m > 0 ? s / m : null;
        bool quality = delta >= -target.AccuracyPoints - Epsilon && fidRatio is double ratio && ratio <= 1 + target.FidMargin + Epsilon;
        bool meets = quality && l.LatencyFraction <= target.LatencyFraction + Epsilon;
        return new ParetoRow(key, ScopeOf(key), q.Accuracy, delta, q.Fid, fidRatio, q.TransformerFlopsFraction ?? l.TransformerFlopsFraction,
            l.PredictedFraction, l.LatencyFraction, spread, onFrontier, quality, meets);
    }
}
