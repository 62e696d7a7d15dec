namespace FastAttn.Engine.Compression;

/// <summary>What a plan search cost and found.</summary>
/// <param name="ForwardEquivalents">Transformer work in full-forward equivalents (block evaluations / depth).</param>
/// <param name="Seconds">Wall time.</param>
/// <param name="PrefixReuse">Whether layer inputs were reused across candidates.</param>
/// <param name="CalibrationLabels">The calibration class labels.</param>
/// <param name="Seed">The calibration noise seed.</param>
public sealed record PlanSearchReport(double ForwardEquivalents, double Seconds, bool PrefixReuse, IReadOnlyList<int> CalibrationLabels, long Seed)
{
    /// <summary>
    /// Measured order: the plan's attention time as a fraction of all-full attention under the costs the search ordered by
    /// (<see cref="PlanCosts"/>, refresh steps included); null for the reference order.
    /// </summary>
    public double? PredictedAttentionTimeFraction { get; init; }
}
