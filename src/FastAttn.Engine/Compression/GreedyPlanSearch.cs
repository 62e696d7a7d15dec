using FastAttn.Engine.Pipelines;
using Microsoft.Extensions.Logging;

namespace FastAttn.Engine.Compression;

/// <summary>The greedy plan search on a class-conditional DiT, under its former name.</summary>
[Obsolete("Use DiTPlanSearch")]
public sealed class GreedyPlanSearch
{
    private readonly DiTPlanSearch _search;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public GreedyPlanSearch(DiTPipeline pipeline, ILogger<GreedyPlanSearch>? logger = null) =>
        _search = new DiTPlanSearch(pipeline, (ILogger?)logger);

    /// <summary>Runs the search (see <see cref="DiTPlanSearch.Search"/>).</summary>
    public CompressionPlan Search(DiTPlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        _search.Search(options, progress, cancellationToken);

    /// <summary>The key's calibration description as version 1 plan files wrote it (with ",metric:guided").</summary>
    public static string CalibrationName(DiTPlanSearchOptions options, IReadOnlyList<int> labels) =>
        DiTPlanSearch.CalibrationName(options) + (options.EffectiveMetric == SearchMetric.GuidedOutput ? ",metric:guided" : "");

    /// <summary>Calibration labels drawn uniformly from 0..classes−1 with a seeded generator.</summary>
    public static int[] RandomLabels(int count, int classes, long seed) => DiTPlanSearch.RandomLabels(count, classes, seed);
}
