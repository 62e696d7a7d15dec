namespace FastAttn.Engine.Compression;

/// <summary>Where a <see cref="PlanResolver"/> looks for plans and whether it may search.</summary>
public sealed record PlanResolverOptions
{
    /// <summary>
    /// The user's plan folder: looked in first, and where searched or shared plans are saved (default
    /// <see cref="PlanLookup.DefaultDirectory"/>).
    /// </summary>
    public string UserFolder { get; init; } = PlanLookup.DefaultDirectory;

    /// <summary>Search a missing plan (seconds to minutes, once per key); false resolves it to none.</summary>
    public bool SearchOnDemand { get; init; }

    /// <summary>How plans are searched (and so keyed); null = each model's defaults.</summary>
    public PlanSearchSettings? Search { get; init; }
}
