namespace FastAttn.Engine.Compression;

/// <summary>
/// Plans shared between engines (e.g. every host of a cluster): a <see cref="PlanResolver"/> asks it after its own plan
/// folders miss, and searches through it, so that however many engines need one plan at once it is searched exactly
/// once and then served to all. Without one (the default) each engine searches and keeps its plans itself.
/// </summary>
public interface ISharedPlanStore
{
    /// <summary>The plan stored for <paramref name="key"/>, or null when none has been published.</summary>
    Task<CompressionPlan?> FindAsync(PlanKey key, CancellationToken cancellationToken);

    /// <summary>
    /// The plan for <paramref name="key"/>: the stored one, one that another engine is searching (waited for), or the one
    /// <paramref name="search"/> finds here (then published to the others). A failed search is reported to the caller and
    /// lets another engine search.
    /// </summary>
    Task<CompressionPlan> GetOrSearchAsync(PlanKey key, Func<CancellationToken, CompressionPlan> search, CancellationToken cancellationToken);
}
