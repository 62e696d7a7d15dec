namespace FastAttn.Engine.Compression;

/// <summary>
/// A family's greedy plan search: the options a plan for one of its pipeline requests is searched with, the key of the
/// plan those options give, and the search itself.
/// </summary>
/// <typeparam name="TRequest">The family's pipeline request.</typeparam>
/// <typeparam name="TOptions">The family's search options.</typeparam>
public interface IPlanSearch<in TRequest, TOptions> where TOptions : PlanSearchOptions
{
    /// <summary>
    /// The options a plan for <paramref name="request"/> at δ = <paramref name="threshold"/> is searched with:
    /// <paramref name="settings"/> (null: the defaults), with <paramref name="defaultMetric"/> when they name no metric.
    /// </summary>
    TOptions OptionsFor(TRequest request, double threshold, PlanSearchSettings? settings = null, SearchMetric defaultMetric = SearchMetric.RawOutput);

    /// <summary>The key of the plan <paramref name="options"/> give; <paramref name="fingerprint"/> saves hashing the model again.</summary>
    PlanKey KeyFor(TOptions options, string? fingerprint = null);

    /// <summary>Runs the search; reports progress per layer and honours <paramref name="cancellationToken"/> between layers.</summary>
    CompressionPlan Search(TOptions options, IProgress<PlanSearchProgress>? progress = null, CancellationToken cancellationToken = default);
}
