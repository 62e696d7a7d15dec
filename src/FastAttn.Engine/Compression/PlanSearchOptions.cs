using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Sampling;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Settings of a greedy plan search (paper Alg. 1 as the reference implements it) common to every family; each
/// family's search takes its own derived options: <see cref="DiTPlanSearchOptions"/>, <see cref="TextPlanSearchOptions"/>,
/// <see cref="VideoPlanSearchOptions"/>.
/// </summary>
public abstract record PlanSearchOptions
{
    /// <summary>The threshold δ (a preset's, or any value ≥ 0).</summary>
    public required double Threshold { get; init; }

    /// <summary>Denoising steps of the plan.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The sampler of the plan.</summary>
    public required IDiffusionSchedulerFactory Scheduler { get; init; }

    /// <summary>Guidance scale; without guidance (≤ 1) the ASC candidates do not apply.</summary>
    public double GuidanceScale { get; init; } = 4.0;

    /// <summary>Seed of the calibration labels and noise (3, as the reference).</summary>
    public long CalibrationSeed { get; init; } = 3;

    /// <summary>The window; null = block band with w = N/8.</summary>
    public WindowSpec? Window { get; init; }

    /// <summary>
    /// The candidates, in trial order for the reference order (the reference's: AST, WA-RS+ASC, WA-RS, ASC); the measured
    /// order filters and reorders them per (step, layer).
    /// </summary>
    public IReadOnlyList<AttentionMethod> Candidates { get; init; } = AttentionMethods.SearchOrder;

    /// <summary>What candidate outputs are compared on (the reference's raw CFG-batch output by default).</summary>
    public SearchMetric Metric { get; init; } = SearchMetric.RawOutput;

    /// <summary>The candidate order, part of the plan's key (latency-aware, <see cref="CandidateOrder.Measured"/>, by default).</summary>
    public CandidateOrder CandidateOrder { get; init; } = CandidateOrder.Measured;

    /// <summary>
    /// The measured order: the least saving, as a fraction of full attention's module time (default 0.03 = 3%), that makes a
    /// candidate worth trying at a (step, layer) — its module time plus any residual refresh it causes must stay below
    /// full × (1 − this). Smaller savings are within timing noise. Not part of the key: plans found through
    /// <see cref="PlanSearchSettings"/> always use the default.
    /// </summary>
    public double MinimumSaving { get; init; } = DefaultMinimumSaving;

    /// <summary>The default <see cref="MinimumSaving"/>: 3% of full attention's module time.</summary>
    public const double DefaultMinimumSaving = 0.03;

    /// <summary>
    /// The measured order: the costs to order by (null: the model's <see cref="Families.GenerativeModel.CostModel"/>, else
    /// the device's <see cref="SharedCostModels"/> one, measured once and cached). Not part of the key.
    /// </summary>
    public IAttentionCostModel? CostModel { get; init; }

    /// <summary>What one decision covers, part of the plan's key (one attention module by default).</summary>
    public SearchScope SearchScope { get; init; } = SearchScope.Attention;

    /// <summary>Block scope: whether skipped blocks may also be forecast (<see cref="Attention.BlockMethod.Forecast"/>); part of the key.</summary>
    public bool BlockForecast { get; init; } = true;

    /// <summary>Reuse layer i's input across its candidates, so a candidate costs (L−i)/L of a forward (same plan as without).</summary>
    public bool PrefixReuse { get; init; } = true;

    /// <summary>The metric the search really uses: the guided output is the raw one without guidance (SSIM stays SSIM).</summary>
    public SearchMetric EffectiveMetric => GuidanceScale > 1.0 || Metric == SearchMetric.Ssim ? Metric : SearchMetric.RawOutput;

    /// <summary>The key of the plan these options give on a latent of the given shape, with the search's window.</summary>
    /// <remarks>A measured-order key also records <paramref name="deviceKind"/>, the kind of device the search runs on.</remarks>
    internal PlanKey KeyFor(string fingerprint, int height, int? width, int? frames, WindowSpec window, string calibration, string deviceKind,
        VideoAttention target = VideoAttention.Spatial) =>
        new(fingerprint, height, Steps, Scheduler.Name, GuidanceScale, window, Threshold, calibration, width, frames)
        {
            Metric = EffectiveMetric,
            Target = target,
            CandidateOrder = CandidateOrder,
            SearchScope = SearchScope,
            BlockForecast = SearchScope == SearchScope.Block && BlockForecast,
            DeviceKind = CandidateOrder == CandidateOrder.Measured ? deviceKind : null,
        };
}
