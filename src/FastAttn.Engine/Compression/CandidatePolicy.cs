using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;

namespace FastAttn.Engine.Compression;

/// <summary>
/// Which candidates the greedy search tries at a (step, layer), in which order. The reference order tries the given
/// candidates as they are. The measured order charges each candidate its module time at the model's shape plus the
/// residual refresh it causes (<see cref="PlanCosts.RefreshCostMs"/>, charged once, to the first residual reader after a
/// full step: later readers share that refresh), keeps those whose net saving against full attention exceeds the minimum
/// saving, and orders them largest net saving first (ties: the reference order). Decisions of earlier steps are final
/// when a step is decided, so the charge is exact for the plan being built; a later full step is charged when a later
/// candidate needs it.
/// </summary>
internal sealed class CandidatePolicy
{
    private readonly AttentionMethod[] _candidates;
    private readonly AttentionCosts? _costs;
    private readonly double _minimumSaving;

    private CandidatePolicy(AttentionMethod[] candidates, AttentionCosts? costs, double minimumSaving)
    {
        _candidates = candidates;
        _costs = costs;
        _minimumSaving = minimumSaving;
    }

    /// <summary>The candidates in the given order, everywhere.</summary>
    public static CandidatePolicy Reference(AttentionMethod[] candidates) => new(candidates, null, 0);

    /// <summary>The measured order under <paramref name="costs"/> with a minimum saving of <paramref name="minimumSaving"/> of full.</summary>
    public static CandidatePolicy Measured(AttentionMethod[] candidates, AttentionCosts costs, double minimumSaving)
    {
        ArgumentNullException.ThrowIfNull(costs);
        if (!costs.IsValid() || costs.FullMs <= 0) throw new ArgumentException("The attention costs are not valid (full attention must cost > 0).",
            nameof(costs));
        if (minimumSaving is < 0 or >= 1 || double.IsNaN(minimumSaving))
            throw new ArgumentOutOfRangeException(nameof(minimumSaving), $"The minimum saving must be in [0, 1); got {minimumSaving}.");
        return new CandidatePolicy(candidates, costs, minimumSaving);
    }

    /// <summary>The costs the order uses (null: the reference order).</summary>
    public AttentionCosts? Costs => _costs;

    /// <summary>Candidates that pay nowhere at this shape (their module time alone saves too little); the search never tries them.</summary>
    public IReadOnlyList<AttentionMethod> NeverTried => _costs is null ? []
        : _candidates.Where(m => !Pays(_costs.FullMs - _costs.ModuleMs(m))).ToArray();

    /// <summary>The candidates to try at (<paramref name="step"/>, <paramref name="layer"/>) of <paramref name="methods"/>, in order.</summary>
    public IReadOnlyList<AttentionMethod> For(AttentionMethod[][] methods, int step, int layer)
    {
        if (_costs is not AttentionCosts costs) return _candidates;
        return _candidates
            .Select((m, i) => (Method: m, Index: i, Saving: NetSavingMs(methods, step, layer, m, costs)))
            .Where(c => Pays(c.Saving))
            .OrderByDescending(c => c.Saving).ThenBy(c => c.Index)
            .Select(c => c.Method).ToArray();
    }

    /// <summary>Full attention's module time minus the candidate's, minus the refresh it causes.</summary>
    internal static double NetSavingMs(AttentionMethod[][] methods, int step, int layer, AttentionMethod method, AttentionCosts costs) =>
        costs.FullMs - costs.ModuleMs(method) - PlanCosts.RefreshCostMs(methods, step, layer, method, costs);

    private bool Pays(double savingMs) => savingMs > 0 && savingMs > _minimumSaving * _costs!.FullMs;
}
