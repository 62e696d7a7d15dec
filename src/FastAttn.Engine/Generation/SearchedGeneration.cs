using FastAttn.Engine.Compression;

namespace FastAttn.Engine.Generation;

/// <summary>
/// A prepared generation whose plan questions a family's <see cref="IPlanSearch{TRequest, TOptions}"/> answers: the key
/// and the search of a plan for <see cref="PipelineRequest"/>. A family derives from it and adds the run and FLOPs.
/// </summary>
/// <typeparam name="TRequest">The family's pipeline request.</typeparam>
/// <typeparam name="TOptions">The family's search options.</typeparam>
/// <param name="search">The family's plan search on the loaded model.</param>
/// <param name="pipelineRequest">The request in the pipeline's terms, every default filled in.</param>
/// <param name="fingerprint">The model's fingerprint (saves hashing it again).</param>
/// <param name="defaultMetric">The metric of the model's plans when the search settings name none.</param>
/// <param name="costModel">
/// The model's attention cost model (<see cref="Families.GenerativeModel.CostModel"/>), which measured-order searches order
/// their candidates by; null: the device's shared one (<see cref="Attention.Costs.SharedCostModels"/>).
/// </param>
public abstract class SearchedGeneration<TRequest, TOptions>(IPlanSearch<TRequest, TOptions> search, TRequest pipelineRequest, string fingerprint,
    SearchMetric defaultMetric = SearchMetric.RawOutput, Attention.Costs.IAttentionCostModel? costModel = null) : PreparedGeneration
    where TOptions : PlanSearchOptions
{
    /// <summary>The request in the pipeline's terms.</summary>
    public TRequest PipelineRequest { get; } = pipelineRequest;

    /// <summary>The options a plan for this generation at δ = <paramref name="threshold"/> is searched with.</summary>
    public TOptions SearchOptions(double threshold, PlanSearchSettings? settings = null) =>
        (TOptions)((PlanSearchOptions)search.OptionsFor(PipelineRequest, threshold, settings, defaultMetric) with { CostModel = costModel });

    /// <inheritdoc />
    public override PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null) =>
        search.KeyFor(SearchOptions(threshold, settings), fingerprint);

    /// <inheritdoc />
    public override CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        search.Search(SearchOptions(threshold, settings), progress, cancellationToken);
}
