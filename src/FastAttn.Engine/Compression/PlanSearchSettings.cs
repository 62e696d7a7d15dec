using FastAttn.Engine.Attention;
using FastAttn.Engine.Models.OpenSora;

namespace FastAttn.Engine.Compression;

/// <summary>
/// How a plan is searched, across families; every unset field takes the model's default. These settings (with the
/// model, the generation's shape and the threshold) make the plan's key, so a plan searched one way is never found for another.
/// </summary>
public sealed record PlanSearchSettings
{
    /// <summary>
    /// Calibration samples: random class labels (class-conditional; default 8, the paper's), or the first N shipped captions
    /// (text to image: default 6, the paper's, of 40; video: default all 12).
    /// </summary>
    public int? CalibrationCount { get; init; }

    /// <summary>Seed of the calibration labels and noise (3, as the reference).</summary>
    public long CalibrationSeed { get; init; } = 3;

    /// <summary>Window semantics (block band by default).</summary>
    public WindowSemantics WindowSemantics { get; init; } = WindowSemantics.BlockBand;

    /// <summary>Window half-width in tokens; null = N/8.</summary>
    public int? WindowHalfWidth { get; init; }

    /// <summary>What candidates are compared on; null = the model's (its defaults.json, else the raw output).</summary>
    public SearchMetric? Metric { get; init; }

    /// <summary>Reuse layer i's input across its candidates (same plan, about half the work).</summary>
    public bool PrefixReuse { get; init; } = true;

    /// <summary>Video models: which self-attention the plan compresses (spatial by default).</summary>
    public VideoAttention Target { get; init; } = VideoAttention.Spatial;

    /// <summary>
    /// The order candidates are tried in: latency-aware (<see cref="CandidateOrder.Measured"/>, the default: by measured saving
    /// on the model's device, candidates that do not pay skipped) or the reference's; part of the plan's key, and a measured
    /// plan's key records the device kind (cpu, cuda) it was searched on.
    /// </summary>
    public CandidateOrder CandidateOrder { get; init; } = CandidateOrder.Measured;

    /// <summary>What one decision of the search covers (one attention module by default); part of the plan's key.</summary>
    public SearchScope SearchScope { get; init; } = SearchScope.Attention;

    /// <summary>
    /// Block scope: whether a skipped block may also be forecast from its last two computed steps (<see cref="BlockMethod.Forecast"/>;
    /// the default) besides being reused; part of the plan's key.
    /// </summary>
    public bool BlockForecast { get; init; } = true;

    /// <summary>
    /// These settings with the scope and metric <paramref name="preset"/> means (B1..B6: block, SSIM; D1..D6, V1..V5: attention,
    /// the settings' metric); unchanged for raw, a custom δ or no preset.
    /// </summary>
    public PlanSearchSettings ForPreset(string? preset) => CompressionPresets.ScopeOf(preset) is SearchScope scope
        ? this with { SearchScope = scope, Metric = CompressionPresets.MetricOf(preset) ?? Metric }
        : this;

    /// <summary>The window for a sequence of <paramref name="tokens"/> tokens.</summary>
    public WindowSpec WindowFor(int tokens) => WindowSpec.ForTokens(tokens, WindowSemantics, WindowHalfWidth);

    /// <summary>
    /// <paramref name="options"/> (a family's, shape filled in) with these settings' common fields: seed, window for
    /// <paramref name="tokens"/> tokens, metric (<paramref name="defaultMetric"/> when unset), prefix reuse, order and scope.
    /// </summary>
    internal T Apply<T>(T options, int tokens, SearchMetric defaultMetric) where T : PlanSearchOptions =>
        (T)((PlanSearchOptions)options with
        {
            CalibrationSeed = CalibrationSeed,
            Window = WindowFor(tokens),
            Metric = Metric ?? defaultMetric,
            PrefixReuse = PrefixReuse,
            CandidateOrder = CandidateOrder,
            SearchScope = SearchScope,
            BlockForecast = BlockForecast,
        });
}
